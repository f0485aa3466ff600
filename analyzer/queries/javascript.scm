; JavaScript (also JSX) tags. Captures: @name.definition.<kind> (kind `variable` is kept only for
; UPPER_CASE names, as a constant), @definition.<kind> (the node that scopes what is nested in it),
; @name.scope (a qualifier such as `res` in `res.send = function`), @import.module, @import.name.
; Captures starting with "_" are only for predicates.

(class_declaration
  name: (identifier) @name.definition.class) @definition.class

(function_declaration
  name: (identifier) @name.definition.function) @definition.function

(generator_function_declaration
  name: (identifier) @name.definition.function) @definition.function

(method_definition
  name: (property_identifier) @name.definition.method) @definition.method

(program
  (lexical_declaration
    (variable_declarator
      name: (identifier) @name.definition.function
      value: [(arrow_function) (function_expression)]) @definition.function))

(program
  (export_statement
    declaration: (lexical_declaration
      (variable_declarator
        name: (identifier) @name.definition.function
        value: [(arrow_function) (function_expression)]) @definition.function)))

(program
  (lexical_declaration
    (variable_declarator name: (identifier) @name.definition.variable)))

(program
  (export_statement
    declaration: (lexical_declaration
      (variable_declarator name: (identifier) @name.definition.variable))))

(program
  (variable_declaration
    (variable_declarator name: (identifier) @name.definition.variable)))

(expression_statement
  (assignment_expression
    left: (member_expression
      object: (_) @name.scope
      property: (property_identifier) @name.definition.method)
    right: [(function_expression) (arrow_function)]) @definition.method
  (#not-eq? @name.definition.method "exports"))

(import_statement
  source: (string (string_fragment) @import.module))

(export_statement
  source: (string (string_fragment) @import.module))

(call_expression
  function: (identifier) @_require
  arguments: (arguments . (string (string_fragment) @import.module))
  (#eq? @_require "require"))

(call_expression
  function: (import)
  arguments: (arguments . (string (string_fragment) @import.module)))
