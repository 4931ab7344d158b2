"""The metrics stand apart from the stabilizer: they read masks through tempcons.masks and motion
through the flow layer, so that a change to the stabilizer can never move a score."""

import ast
from pathlib import Path

import pytest

import tempcons

PACKAGE = Path(tempcons.__file__).parent
STABILIZER = ("tempcons.kinds", "tempcons.stabilize", "tempcons.labels", "tempcons.probs", "tempcons.instances",
              "tempcons.filters")


def _module_path(name: str) -> Path | None:
    """The source file of a tempcons module or package, or None if ``name`` is not one."""
    base = PACKAGE.parent.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(name: str, path: Path) -> set[str]:
    """The tempcons modules that the source of ``name`` imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            # "from . import x" and "from .pkg import mod" import modules, not only names.
            found.update(f"{base}.{alias.name}" for alias in node.names if _module_path(f"{base}.{alias.name}"))
    modules = set()
    for imported in found:
        # Importing a.b.c runs the __init__ of a.b as well; the root package is left out (below).
        parts = imported.split(".")
        modules.update(".".join(parts[:i]) for i in range(2, len(parts) + 1))
    return {m for m in modules if m.startswith("tempcons.") and _module_path(m)}


def _reach(start: set) -> tuple[set, dict]:
    """Every tempcons module that the modules ``start`` import, transitively, and who imported each first."""
    seen, todo, via = set(), sorted(start), {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for imported in _imports(name, _module_path(name)):
            via.setdefault(imported, name)
            todo.append(imported)
    return seen, via


def _forbidden(seen: set, via: dict, banned: tuple) -> dict:
    return {m: via[m] for m in seen if any(m == b or m.startswith(f"{b}.") for b in banned)}


def test_metrics_do_not_import_the_stabilizer():
    """Follow every import statement of tempcons.metrics, transitively, through tempcons' own modules.

    The graph is read from the source with ``ast`` rather than by importing: ``import
    tempcons.metrics`` first runs ``tempcons/__init__.py``, which imports the whole package, so
    ``sys.modules`` after an import cannot tell what the metrics need. Every import statement
    counts, at module level or inside a function (a lazy import still couples the metrics to
    the module); the root ``tempcons/__init__.py`` is the one module left out, as it only
    gathers the public names.
    """
    seen, via = _reach({f"tempcons.metrics.{p.stem}" if p.stem != "__init__" else "tempcons.metrics"
                        for p in (PACKAGE / "metrics").glob("*.py")})
    bad = _forbidden(seen, via, STABILIZER)
    assert not bad, f"the metrics import the stabilizer: {bad} (module: imported by)"
    assert "tempcons.masks" in seen  # the walk does see the imports it must


# The layers below what uses them: each may import only what lies under it.
FOUNDATIONS = ("tempcons.masks", "tempcons.flow", "tempcons.warp", "tempcons._validate", "tempcons._kernels",
               "tempcons.presets")
FILES = ("tempcons.io", "tempcons.outputs")
ABOVE = STABILIZER + ("tempcons.metrics", "tempcons.cli", "tempcons.wrap", "tempcons.demo", "tempcons.baselines")


@pytest.mark.parametrize("layer, banned", [
    (FOUNDATIONS, ABOVE + FILES),  # masks, motion and settings know nothing of what uses them
    (FILES, ABOVE),                # reading and writing files knows no stabilizer and no metric
])
def test_lower_layers_never_import_higher_ones(layer, banned):
    seen, via = _reach({m for m in layer if _module_path(m)})
    bad = _forbidden(seen, via, banned)
    assert not bad, f"{layer} reach {bad} (module: imported by)"


def test_no_module_imports_one_that_imports_it_back():
    """Lazy imports count: an import inside a function only hides a circle, it does not break it.

    A module's own enclosing packages are left out of its imports: Python runs them first
    whatever the module imports, and a package that gathers its modules' names is no circle.
    """
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
               for p in PACKAGE.rglob("*.py")} - {"tempcons"}

    def imports(name):
        return {m for m in _imports(name, _module_path(name)) if m != name and not name.startswith(f"{m}.")}

    circles = []
    for name in sorted(modules):
        seen, todo, via = set(), sorted(imports(name)), {}
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for nxt in imports(current):
                via.setdefault(nxt, current)
                todo.append(nxt)
        if name in seen:
            path, step = [name], via.get(name)
            while step is not None and step not in path:
                path.append(step)
                step = via.get(step)
            circles.append(" <- ".join(path))
    assert not circles, f"import circles: {circles}"
