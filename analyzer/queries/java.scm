; Java tags. Captures: @name.definition.<kind>, @definition.<kind> (the node that scopes what is
; nested in it), @import.module (the imported name) and @import.wildcard (`.*`).
; Captures starting with "_" are only for predicates.

(class_declaration
  name: (identifier) @name.definition.class) @definition.class

(record_declaration
  name: (identifier) @name.definition.class) @definition.class

(interface_declaration
  name: (identifier) @name.definition.interface) @definition.interface

(enum_declaration
  name: (identifier) @name.definition.enum) @definition.enum

(annotation_type_declaration
  name: (identifier) @name.definition.interface) @definition.interface

(method_declaration
  name: (identifier) @name.definition.method) @definition.method

(field_declaration
  declarator: (variable_declarator
    name: (identifier) @name.definition.constant)
  (#match? @name.definition.constant "^[A-Z][A-Z0-9_]*$"))

(import_declaration
  (scoped_identifier) @import.module
  (asterisk)? @import.wildcard)
