"""Public APIs only: no attribute or module of a dependency whose name starts with an underscore.

Libraries rewrite their internals between releases without notice (aiosqlite's worker
internals changed between 0.19 and 0.22, which a pinned range still admits), and the failure is
an AttributeError on every call or a hang. This check reads every module of the project
(code, tests, fakes and benchmarks) and refuses:

* ``import x._y`` / ``from x._y import z`` for any package ``x`` that is not ours;
* ``something._name`` and ``getattr(something, "_name")`` when ``_name`` is not a name this
  project defines itself (a method, attribute, slot or module-level name of ours), so our
  own private names stay free to use.

A few underscore names are documented public API of the standard library and allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("bot", "handlers", "storage", "surveys", "bench", "tests")
# Documented public API despite the underscore (os._exit, sys._getframe, namedtuple methods).
DOCUMENTED = {"_exit", "_getframe", "_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def _modules() -> list[Path]:
    return sorted(p for top in OURS for p in (ROOT / top).rglob("*.py") if ".venv" not in p.parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _members(trees: dict[Path, ast.Module]) -> set[str]:
    """Every underscore name the project defines as a member of its own classes (methods,
    class attributes, ``self.x``/``cls.x`` attributes, slots): what ``obj._name`` may name."""
    names: set[str] = set()
    for tree in trees.values():
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for node in cls.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(node.name)
                targets = node.targets if isinstance(node, ast.Assign) else []
                if isinstance(node, ast.AnnAssign):
                    targets = [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        names.add(target.id)
                        if target.id == "__slots__" and isinstance(node, ast.Assign):
                            strings = (c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant))
                            names.update(v for v in strings if isinstance(v, str))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)
    return {n for n in names if _private(n)}


def _our_modules(tree: ast.Module) -> set[str]:
    """Names this module binds to modules (or objects) of the project itself: ``ours._helper``
    is ours to use."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in OURS:
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").split(".")[0] in OURS):
            bound.update(alias.asname or alias.name for alias in node.names)
    return bound


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def find_private_uses(paths: list[Path]) -> list[str]:
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in paths}
    ours = _members(trees)
    found: list[str] = []
    for path, tree in trees.items():
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        modules_of_ours = _our_modules(tree)
        for node in ast.walk(tree):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            for module in modules:
                top, *rest = module.split(".")
                if top not in OURS and any(_private(part) for part in rest):
                    found.append(f"{where}:{node.lineno}: imports {module}")
            name = None
            if isinstance(node, ast.Attribute) and _root(node.value) not in modules_of_ours:
                name = node.attr
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr", "setattr")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                name = node.args[1].value
            if name is not None and _private(name) and name not in ours and name not in DOCUMENTED:
                found.append(f"{where}:{node.lineno}: uses {name}")
    return found


def test_no_private_attribute_or_module_of_a_dependency_anywhere() -> None:
    assert find_private_uses(_modules()) == []


def test_the_check_finds_what_it_is_for() -> None:
    """The shapes that were in the code before this check, and our own private names beside them."""
    # Kept as a data file, not as source here: it is the checker's input, not code of ours.
    sample = Path(__file__).resolve().parent.parent / "data" / "private_api_sample.txt"
    found = sorted(line.split(": ", 1)[1] for line in find_private_uses([sample]))
    assert found == sorted(
        [
            "imports telegram._utils.defaultvalue",
            "imports aiosqlite._core",
            "uses _execute",
            "uses _execute",
            "uses _tag",
            "uses _conn",
            "uses _post",
            "uses _server",
            "uses _retry_after",
        ]
    )
