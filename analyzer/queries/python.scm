; Python tags. Captures: @name.definition.<kind> (kind `variable` is kept only for
; UPPER_CASE names, as a constant), @definition.<kind> (the node that scopes what is nested in it),
; @name.scope (a qualifier such as `res` in `res.send = function`), @import.module, @import.name.
; Captures starting with "_" are only for predicates.

(class_definition
  name: (identifier) @name.definition.class) @definition.class

(function_definition
  name: (identifier) @name.definition.function) @definition.function

(module
  (expression_statement
    (assignment left: (identifier) @name.definition.variable)))

(module
  (expression_statement
    (assignment left: (pattern_list (identifier) @name.definition.variable))))

(import_statement
  name: (dotted_name) @import.module)

(import_statement
  name: (aliased_import name: (dotted_name) @import.module))

(import_from_statement
  module_name: (_) @import.module
  name: (dotted_name) @import.name)

(import_from_statement
  module_name: (_) @import.module
  name: (aliased_import name: (dotted_name) @import.name))

(import_from_statement
  module_name: (_) @import.module
  (wildcard_import))
