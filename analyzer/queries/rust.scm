; Rust tags. Captures: @name.definition.<kind>, @definition.<kind> (the node that scopes what is
; nested in it; `impl` blocks are scopes named by @name.scope), @import.module (a `use` argument)
; and @import.submodule (a `mod name;` declared in another file).

(struct_item
  name: (type_identifier) @name.definition.class) @definition.class

(enum_item
  name: (type_identifier) @name.definition.enum) @definition.enum

(union_item
  name: (type_identifier) @name.definition.class) @definition.class

(trait_item
  name: (type_identifier) @name.definition.interface) @definition.interface

(type_item
  name: (type_identifier) @name.definition.type)

(function_item
  name: (identifier) @name.definition.function) @definition.function

(function_signature_item
  name: (identifier) @name.definition.function)

(impl_item
  type: [
    (type_identifier) @name.scope
    (generic_type type: (type_identifier) @name.scope)
    (scoped_type_identifier name: (type_identifier) @name.scope)
  ]) @definition.scope

(const_item
  name: (identifier) @name.definition.constant)

(static_item
  name: (identifier) @name.definition.constant)

(macro_definition
  name: (identifier) @name.definition.macro)

(mod_item
  name: (identifier) @name.definition.module
  body: (declaration_list)) @definition.module

(mod_item
  name: (identifier) @import.submodule
  !body)

(use_declaration
  argument: (_) @import.module)
