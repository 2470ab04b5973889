"""The package's imports flow one way: from later pipeline stages to earlier ones.

Every ``import mixedlab...`` in the source (at module level or inside a function) is
checked against the stage ranks below. A module may import its own package and
packages of a strictly lower rank; two packages of the same rank stay independent.
Module-level import cycles are reported too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "mixedlab"

# rank of each top-level unit of mixedlab (a subpackage or a top-level module)
RANKS = {
    "_errors": 0,
    "_callers": 0,
    "_resources": 0,  # where the shipped reference outputs and lessons are
    "_arguments": 1,  # argument checks of the public API (imports _errors)
    "rng": 1,
    "formula": 1,
    "linear": 2,
    "datasets": 2,
    "glm": 3,
    "tmb": 4,
    "inference": 5,
    "reporting": 5,
    "results": 6,
    "fitting": 7,
    "diagnostics": 8,
    "distributed": 8,
    "": 9,  # the public surface, mixedlab/__init__.py
    "parity": 10,
    "bench": 10,
    "lessons": 11,  # lessons show the parity tables
    "cli": 12,
    "__main__": 13,
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["mixedlab", *parts])] = path
    return out


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "mixedlab")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level or None]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.split(".")[0] != "mixedlab":
                continue
            found.add(name)
            # "from mixedlab import datasets" names a unit too
            for a in node.names:
                if name == "mixedlab" and a.name in RANKS:
                    found.add(f"mixedlab.{a.name}")
    return found


MODULES = _modules()


def test_every_unit_has_a_rank():
    units = {_unit(m) for m in MODULES}
    assert units <= set(RANKS), f"give these a rank in RANKS: {sorted(units - set(RANKS))}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_to_earlier_stages(module):
    src_unit = _unit(module)
    bad = []
    for target in sorted(_imports(MODULES[module], module)):
        dst_unit = _unit(target)
        if dst_unit == src_unit:
            continue
        if RANKS.get(dst_unit, 99) >= RANKS.get(src_unit, 99):
            bad.append(target)
    assert not bad, f"{module} imports later or sibling stages: {bad}"


def test_no_module_import_cycles():
    graph = {}
    for module, path in MODULES.items():
        targets = set()
        for t in _imports(path, module):
            # an import of a package also runs its __init__; map to the known modules
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            if t and t != module:
                targets.add(t)
        graph[module] = targets
    # a package's __init__ importing its own modules is the normal direction; ignore
    # edges from a module to its own package __init__ (re-export access)
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles[:5])
