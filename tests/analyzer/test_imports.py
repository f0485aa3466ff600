"""Import resolution per language, on hand-made records: pure data in, importer → files out."""

from __future__ import annotations

from analyzer import FileRecord, ImportRef, Symbol, resolve_imports
from analyzer.languages import language_of


def record(path: str, *imports: ImportRef, symbols: tuple[Symbol, ...] = ()) -> FileRecord:
    return FileRecord(blob_sha=path, language=language_of(path), symbols=symbols, imports=imports)


def module(target: str, *names: str) -> ImportRef:
    return ImportRef(kind="module", target=target, names=names)


def resolve(records: list[FileRecord], extra_paths: tuple[str, ...] = ()) -> dict[str, set[str]]:
    by_path = {r.blob_sha: r for r in records}
    return resolve_imports(by_path, [*by_path, *extra_paths])


def test_python_absolute_relative_packages_and_src_layout() -> None:
    graph = resolve(
        [
            record("src/pkg/__init__.py", module(".core", "Engine")),
            record("src/pkg/core.py", module(".", "helpers"), module("..pkg.models", "User")),
            record("src/pkg/helpers.py", module("pkg.sub", "tools")),
            record("src/pkg/models.py"),
            record("src/pkg/sub/__init__.py"),
            record("src/pkg/sub/tools.py", module("os.path"), module("pkg")),
            record("tests/test_core.py", module("pkg.core", "Engine"), module("requests")),
        ]
    )
    assert graph["src/pkg/__init__.py"] == {"src/pkg/core.py"}
    assert graph["src/pkg/core.py"] == {"src/pkg/helpers.py", "src/pkg/models.py"}
    assert graph["src/pkg/helpers.py"] == {"src/pkg/sub/tools.py"}
    assert graph["src/pkg/sub/tools.py"] == {"src/pkg/__init__.py"}
    assert graph["tests/test_core.py"] == {"src/pkg/core.py"}


def test_python_from_package_import_module_prefers_the_submodule() -> None:
    graph = resolve(
        [record("app/__init__.py"), record("app/views.py"), record("main.py", module("app", "views"))]
    )
    assert graph["main.py"] == {"app/views.py"}


def test_js_relative_imports_with_extensions_and_index_files() -> None:
    graph = resolve(
        [
            record("lib/app.js", module("./router"), module("../lib/utils.js"), module("express")),
            record("lib/router/index.js"),
            record("lib/utils.js"),
            record("test/app.js", module("../lib/app")),
            record("test/bad.js", module("../../outside")),
        ]
    )
    assert graph["lib/app.js"] == {"lib/router/index.js", "lib/utils.js"}
    assert graph["test/app.js"] == {"lib/app.js"}
    assert "test/bad.js" not in graph


def test_typescript_js_suffix_names_a_ts_file() -> None:
    graph = resolve(
        [
            record("src/index.ts", module("./view.js"), module("./store"), module("./types")),
            record("src/view.tsx"),
            record("src/store.ts"),
            record("src/types/index.d.ts"),
        ]
    )
    assert graph["src/index.ts"] == {"src/view.tsx", "src/store.ts", "src/types/index.d.ts"}


def test_go_import_path_under_the_module_is_its_directory_without_tests() -> None:
    gomod = record("go.mod", symbols=(Symbol("example.com/shop", "example.com/shop", "module", 1),))
    graph = resolve(
        [
            gomod,
            record("main.go", module("example.com/shop/orders"), module("fmt"), module("github.com/x/y")),
            record("orders/orders.go"),
            record("orders/items.go"),
            record("orders/orders_test.go"),
            record("vendor/github.com/x/y/y.go"),
        ]
    )
    assert graph["main.go"] == {"orders/orders.go", "orders/items.go", "vendor/github.com/x/y/y.go"}


def test_go_nested_module_wins_over_the_outer_one() -> None:
    graph = resolve(
        [
            record("go.mod", symbols=(Symbol("example.com/a", "example.com/a", "module", 1),)),
            record(
                "tools/go.mod", symbols=(Symbol("example.com/a/tools", "example.com/a/tools", "module", 1),)
            ),
            record("main.go", module("example.com/a/tools/gen")),
            record("tools/gen/gen.go"),
        ]
    )
    assert graph["main.go"] == {"tools/gen/gen.go"}


def test_rust_mod_declarations_and_use_paths() -> None:
    submodule = ImportRef(kind="submodule", target="orders")
    graph = resolve(
        [
            record(
                "src/lib.rs",
                submodule,
                ImportRef("submodule", "util"),
                module("crate::orders::{Order, status}"),
            ),
            record("src/orders/mod.rs", module("self::status::Status"), module("super::util::money")),
            record("src/orders/status.rs", module("crate::Thing"), module("std::fmt")),
            record("src/util.rs"),
        ]
    )
    assert graph["src/lib.rs"] == {"src/orders/mod.rs", "src/orders/status.rs", "src/util.rs"}
    assert graph["src/orders/mod.rs"] == {"src/orders/status.rs", "src/util.rs"}
    assert graph["src/orders/status.rs"] == {"src/lib.rs"}


def test_java_classes_wildcards_and_static_imports() -> None:
    base = "src/main/java/com/shop"
    graph = resolve(
        [
            record(f"{base}/App.java", module("com.shop.orders.Order"), module("com.shop.util", "*")),
            record(f"{base}/Other.java", module("com.shop.orders.Order.create"), module("java.util.List")),
            record(f"{base}/orders/Order.java"),
            record(f"{base}/util/Money.java"),
            record(f"{base}/util/Rounding.java"),
        ]
    )
    assert graph[f"{base}/App.java"] == {
        f"{base}/orders/Order.java",
        f"{base}/util/Money.java",
        f"{base}/util/Rounding.java",
    }
    assert graph[f"{base}/Other.java"] == {f"{base}/orders/Order.java"}


def test_files_without_resolvable_imports_are_absent() -> None:
    graph = resolve([record("a.py", module("numpy")), record("README.md")])
    assert graph == {}
