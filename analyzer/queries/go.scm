; Go tags. Captures: @name.definition.<kind>, @definition.<kind> (the node that scopes what is
; nested in it), @name.scope (a method's receiver type), @import.module (the quoted import path).

(function_declaration
  name: (identifier) @name.definition.function) @definition.function

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [
        (type_identifier) @name.scope
        (pointer_type (type_identifier) @name.scope)
        (generic_type type: (type_identifier) @name.scope)
        (pointer_type (generic_type type: (type_identifier) @name.scope))
      ]))
  name: (field_identifier) @name.definition.method) @definition.method

(type_spec
  name: (type_identifier) @name.definition.class
  type: (struct_type))

(type_spec
  name: (type_identifier) @name.definition.interface
  type: (interface_type))

(type_spec
  name: (type_identifier) @name.definition.type)

(source_file
  (const_declaration
    (const_spec name: (identifier) @name.definition.constant)))

(source_file
  (var_declaration
    (var_spec name: (identifier) @name.definition.constant)))

(import_spec
  path: (interpreted_string_literal (interpreted_string_literal_content) @import.module))
