"""The package layout: layers import downwards only, no import cycles, imports at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each layer may import the layers before it, never those after it.
LAYERS = [
    "textenvs",
    "agents.common",
    "agents.policies",
    "agents.learners",
    "agents.training",
    "agents.bench",
    "agents.cli",
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    paths = [*(ROOT / "agents").rglob("*.py"), *(ROOT / "textenvs").rglob("*.py")]
    return {module_name(p): p for p in paths if "builtin" not in p.parts}


def own_imports(path: Path) -> list[tuple[str, bool]]:
    """``(module, at top level)`` of every import of textenvs or agents in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if name.split(".")[0] in ("agents", "textenvs"):
                found.append((name, id(node) in top))
    return found


def layer(module: str) -> int:
    """The index in LAYERS of the layer ``module`` belongs to (the public API: above all)."""
    if module == "agents":
        return len(LAYERS)
    matches = [i for i, prefix in enumerate(LAYERS) if module.split(".")[0] == prefix]
    matches += [i for i, prefix in enumerate(LAYERS) if (module + ".").startswith(prefix + ".")]
    return max(matches)


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_of_the_package_itself_are_at_the_top_and_point_down(module: str) -> None:
    for imported, at_top in own_imports(modules()[module]):
        assert at_top, f"{module} imports {imported} inside a function"
        assert layer(imported) <= layer(module), f"{module} (a lower layer) imports {imported}"


def test_no_import_cycles() -> None:
    known = modules()
    graph = {
        name: {i for i, _ in own_imports(path) if i in known and i != name}
        for name, path in known.items()
    }
    # Packages import their own modules to re-export them; their modules never import them.
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle = [*trail[trail.index(target) :], target] if target in trail else [target]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
