"""routing/ is pure and layered: no import cycle, no I/O, no clock, no module caches in the rules.

Read from the source (every import, including those under TYPE_CHECKING and
inside functions), and each module imported first, with no other routing module loaded
(its package `routing` comes with it, as Python imports parents first).
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "routing"
MODULES = sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                 for path in PACKAGE.rglob("*.py"))
# Anything that waits, reads the clock, or talks to the world.
FORBIDDEN = ("gevent", "greenlet", "socket", "time", "threading", "asyncio", "subprocess", "os", "random",
             "sqlalchemy", "greenswitch", "daemon", "store")


def source(module: str) -> ast.Module:
    path = ROOT.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return ast.parse(path.read_text(encoding="utf-8"))


def imports(module: str) -> set[str]:
    """Every module `module` imports, wherever the import statement is."""
    found = set()
    for node in ast.walk(source(module)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if f"{node.module}.{alias.name}" in MODULES)
    return found


def test_the_routing_modules_import_one_another_without_a_cycle():
    graph = {m: {i for i in imports(m) if i in MODULES and i != m} for m in MODULES}
    graph = {m: {i for i in deps if not m.startswith(i + ".") and i != "routing"} for m, deps in graph.items()}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join(path[path.index(module):] + (module,))}"
        if module in done:
            return
        for dependency in sorted(graph[module]):
            visit(dependency, path + (module,))
        done.add(module)

    for module in MODULES:
        visit(module, ())


def test_the_plain_rules_never_import_the_speed_layer():
    for module in MODULES:
        if not module.startswith("routing.fast") and module not in ("routing", "routing.planner"):
            assert not {i for i in imports(module) if i.startswith("routing.fast")}, module


@pytest.mark.parametrize("module", MODULES)
def test_no_io_no_clock_no_waiting(module):
    bad = {i for i in imports(module) if i.split(".")[0] in FORBIDDEN}
    assert not bad, f"{module} imports {bad}"
    calls = {f"{n.value.id}.{n.attr}" for n in ast.walk(source(module))
             if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    assert not calls & {"datetime.now", "dt.datetime.now", "date.today", "datetime.utcnow"}, module


@pytest.mark.parametrize("module", [m for m in MODULES if not m.startswith("routing.fast")])
def test_the_plain_rules_keep_nothing_between_calls(module):
    """No functools caches and no module-level empty dict, list or set (where a cache starts)."""
    tree = source(module)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
            assert not names & {"lru_cache", "cache", "functools.lru_cache", "functools.cache"}, node.name
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            value = node.value
            empty = (isinstance(value, (ast.Dict, ast.List, ast.Set)) and not getattr(value, "elts", None)
                     and not getattr(value, "keys", None)) or \
                (isinstance(value, ast.Call) and ast.unparse(value) in ("dict()", "list()", "set()"))
            assert not empty, f"{module}: {ast.unparse(node)}"


def test_each_module_imports_on_its_own():
    """Each first, with no routing module loaded yet: an import order that only works one way
    round fails here. One fresh interpreter for all of them; between modules it forgets
    every routing module (what routing imports from elsewhere may stay: it has no cycle with us)."""
    script = """
import importlib, sys
for module in sys.argv[1:]:
    for name in [n for n in sys.modules if n == "routing" or n.startswith("routing.")]:
        del sys.modules[name]
    try:
        importlib.import_module(module)
    except Exception as exc:
        sys.exit(f"{module}: {type(exc).__name__}: {exc}")
"""
    done = subprocess.run([sys.executable, "-c", script, *MODULES], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
