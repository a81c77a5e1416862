"""The shape the code keeps: one way for a request to flow, checked on the source itself.

Views are thin and issue no SQL; the application layer and the pure modules know nothing of
Flask; no module imports another that imports it back; the typed modules type-check.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "ethics_api"
# Modules with no Flask and no database: the scoring contract and the documents it renders.
PURE = (
    "answers",
    "award",
    "criteria",
    "enums",
    "exact",
    "exports",
    "messages",
    "ranking",
    "ranking_report",
    "scoring",
    "standstill",
)
PURE_PACKAGES = ("ethics_api.services", "ethics_api.documents")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _top_level(tree: ast.Module):
    """The module's own statements, those under `if TYPE_CHECKING:` included: an import kept
    from running by that guard is a circle all the same."""
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            yield from node.body
        else:
            yield node


def _imports(name: str) -> set[str]:
    """What a module imports when it is loaded (not inside functions): module names."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _top_level(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _reachable(name: str) -> set[str]:
    """Every module loaded with `name`, the package's and third parties' alike."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        for imported in GRAPH.get(current, ()):
            if imported not in seen:
                seen.add(imported)
                todo.append(imported)
    return seen


def test_the_module_graph_is_read_correctly():
    """The checks below would pass on a graph read wrong: pin a few known edges."""
    assert "ethics_api.criteria" in GRAPH["ethics_api.scoring"]
    assert "ethics_api.services.scope" in GRAPH["ethics_api.services.scorecards"]
    assert "flask" in _reachable("ethics_api.api.vendors")
    assert "sqlalchemy" in _reachable("ethics_api.services.vendors")


def test_no_module_imports_one_that_imports_it_back():
    assert [name for name in MODULES if name in _reachable(name)] == []


@pytest.mark.parametrize(
    "name",
    sorted(n for n in MODULES if n.startswith(PURE_PACKAGES) or n.split(".")[-1] in PURE),
)
def test_the_application_layer_and_the_pure_modules_know_no_flask(name):
    assert not {m for m in _reachable(name) if m.split(".")[0] in ("flask", "flask_smorest")}


@pytest.mark.parametrize(
    "name",
    sorted(n for n in MODULES if n.startswith("ethics_api.documents") or n.split(".")[-1] in PURE),
)
def test_the_documents_and_the_pure_modules_touch_no_database(name):
    assert not {m for m in _reachable(name) if m.split(".")[0] == "sqlalchemy"}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("ethics_api.api.")))
def test_views_issue_no_sql_and_read_no_raw_body(name):
    """Views load the request through a schema and hand it to one use case: no SQLAlchemy,
    no `request.get_json()` (what a use case stores is what the schema loaded)."""
    source = MODULES[name].read_text()
    assert not {m for m in GRAPH[name] if m.split(".")[0] == "sqlalchemy"}
    assert "get_json" not in source
    assert "select(" not in source


def test_the_typed_modules_type_check():
    """mypy, as configured in pyproject.toml, on the application layer and the pure modules."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
