"""Who may import whom: the store (with the background loop and backoff the daemon shares) never imports the daemon."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", ["store", "routing", "config"])
def test_the_package_does_not_import_the_daemon(package):
    offenders = {str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] == "daemon")
                 for path in (ROOT / package).rglob("*.py")}
    assert {path: modules for path, modules in offenders.items() if modules} == {}
