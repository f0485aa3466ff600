"""Tiny source trees, one per language, that the analyzer tests commit into temporary git repositories.

Each tree exercises its language's tag query (classes, functions, methods, constants) and import
resolution (relative and absolute forms, index files, packages, modules).
"""

from __future__ import annotations

PYTHON = {
    "src/shop/__init__.py": "from .orders import OrderService\n\nVERSION = '1.0'\n",
    "src/shop/orders.py": (
        "import os.path\n"
        "from . import pricing\n"
        "from .models import Order as OrderModel\n"
        "from shop.util.money import to_cents\n\n"
        "MAX_ITEMS = 50\n"
        "default_region = 'eu'\n\n\n"
        "class OrderService:\n"
        "    def create_order(self, items):\n"
        "        def check(item):\n"
        "            return item\n"
        "        return [check(i) for i in items]\n\n"
        "    class Receipt:\n"
        "        def render(self):\n"
        "            return ''\n\n\n"
        "@decorated\n"
        "def cancel_order(order_id):\n"
        "    return order_id\n"
    ),
    "src/shop/models.py": "class Order:\n    total = 0\n",
    "src/shop/pricing.py": "from ..shop import models\n\nTAX_RATE = 0.2\n\ndef price(order):\n    return 1\n",
    "src/shop/util/__init__.py": "",
    "src/shop/util/money.py": "def to_cents(amount):\n    return int(amount * 100)\n",
    "tests/test_orders.py": (
        "from shop.orders import OrderService, cancel_order\n\ndef test_create():\n    pass\n"
    ),
}

JAVASCRIPT = {
    "lib/app.js": (
        "const router = require('./router');\n"
        "const utils = require('../lib/utils.js');\n"
        "import express from 'express';\n"
        "import { helper } from './helpers';\n\n"
        "var LIMIT = 10;\n"
        "const handler = () => 1;\n\n"
        "class Application {\n"
        "  listen(port) {\n"
        "    function inner() {}\n"
        "    return port;\n"
        "  }\n"
        "}\n\n"
        "res.send = function send(body) {\n"
        "  return body;\n"
        "};\n\n"
        "export function createApp() {\n"
        "  return new Application();\n"
        "}\n"
    ),
    "lib/router/index.js": (
        "module.exports = function Router() {};\nexports.route = function route(path) {};\n"
    ),
    "lib/utils.js": "exports.flatten = function (list) { return list; };\n",
    "lib/helpers.mjs": "export const helper = () => 2;\n",
    "test/app.test.js": "const app = require('../lib/app');\n",
}

TYPESCRIPT = {
    "src/index.ts": (
        "import { Store } from './store';\n"
        "import type { Item } from './types';\n"
        "export * from './view.js';\n\n"
        "export const DEFAULT_SIZE = 3;\n\n"
        "export interface Options {\n  size: number;\n}\n\n"
        "export type Id = string;\n\n"
        "export enum Mode { Fast, Slow }\n\n"
        "export abstract class Base {\n  abstract run(): void;\n}\n\n"
        "export default function main(): void {}\n"
    ),
    "src/store.ts": "export class Store {\n  get(id: string): string {\n    return id;\n  }\n}\n",
    "src/types.ts": "export interface Item {\n  id: string;\n}\n",
    "src/view.tsx": (
        "import { Store } from './store';\n\n"
        "export function View(): JSX.Element {\n  return <div />;\n}\n\n"
        "export class Panel {\n  render() {\n    return <span />;\n  }\n}\n"
    ),
}

GO = {
    "go.mod": "module example.com/shop\n\ngo 1.21\n",
    "main.go": (
        'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/shop/orders"\n'
        '\tstore "example.com/shop/internal/store"\n)\n\n'
        "func main() {\n\tfmt.Println(orders.New(), store.Open())\n}\n"
    ),
    "orders/orders.go": (
        "package orders\n\nconst MaxItems = 50\n\nvar ErrEmpty = error(nil)\n\n"
        "type Order struct {\n\tID int\n}\n\ntype Store interface {\n\tSave(o *Order) error\n}\n\n"
        "type ID int\n\nfunc New() *Order {\n\treturn &Order{}\n}\n\n"
        'func (o *Order) Total() int {\n\treturn 0\n}\n\nfunc (o Order) String() string {\n\treturn ""\n}\n'
    ),
    "orders/orders_test.go": 'package orders\n\nimport "testing"\n\nfunc TestNew(t *testing.T) {}\n',
    "internal/store/store.go": "package store\n\nfunc Open() int {\n\treturn 1\n}\n",
}

RUST = {
    "Cargo.toml": '[package]\nname = "shop"\nversion = "0.1.0"\n',
    "src/lib.rs": (
        "pub mod orders;\nmod util;\n\nuse crate::orders::{Order, Status as OrderStatus};\n"
        "use std::collections::HashMap;\n\npub const MAX_ITEMS: usize = 50;\n\n"
        "pub fn open() -> HashMap<u32, Order> {\n    HashMap::new()\n}\n\n"
        "#[cfg(test)]\nmod tests {\n    fn helper() {}\n}\n"
    ),
    "src/orders/mod.rs": (
        "pub mod status;\n\npub use self::status::Status;\nuse super::util::money;\n\n"
        "pub struct Order {\n    pub id: u32,\n}\n\n"
        "impl Order {\n    pub fn total(&self) -> u32 {\n        fn local() {}\n        0\n    }\n}\n\n"
        "pub trait Priced {\n    fn price(&self) -> u32;\n}\n\n"
        "impl Priced for Order {\n    fn price(&self) -> u32 {\n        1\n    }\n}\n"
    ),
    "src/orders/status.rs": (
        "pub enum Status {\n    Open,\n    Closed,\n}\n\nmacro_rules! status { () => {} }\n"
    ),
    "src/util.rs": "pub mod money {\n    pub fn cents() -> u32 {\n        0\n    }\n}\n",
}

JAVA = {
    "src/main/java/com/shop/App.java": (
        "package com.shop;\n\nimport com.shop.orders.Order;\nimport com.shop.util.*;\n"
        "import static com.shop.orders.Order.create;\nimport java.util.List;\n\n"
        "public class App {\n    public static final int MAX_ITEMS = 50;\n    private int count = 0;\n\n"
        "    public void run() {}\n\n    static class Config {\n        void load() {}\n    }\n}\n"
    ),
    "src/main/java/com/shop/orders/Order.java": (
        "package com.shop.orders;\n\npublic class Order {\n    public static Order create() {\n"
        "        return new Order();\n    }\n}\n"
    ),
    "src/main/java/com/shop/orders/Status.java": "package com.shop.orders;\n\npublic enum Status { OPEN }\n",
    "src/main/java/com/shop/util/Money.java": (
        "package com.shop.util;\n\npublic interface Money {\n    long cents();\n}\n"
    ),
    "src/main/java/com/shop/util/Rounding.java": (
        "package com.shop.util;\n\npublic record Rounding(int places) {}\n"
    ),
}

DOCS = {
    "README.md": "# Shop\n\nA shop with orders and invoices.\n",
    "CHANGES": "Version 1.0\n- orders can be cancelled\n",
    "config/settings.yaml": "region: eu\n",
}

LANGUAGE_TREES: dict[str, dict[str, str]] = {
    "python": PYTHON,
    "javascript": JAVASCRIPT,
    "typescript": TYPESCRIPT,
    "go": GO,
    "rust": RUST,
    "java": JAVA,
    "docs": DOCS,
}
