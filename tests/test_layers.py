"""The layers of docs/architecture.md, checked by walking every import in the source (no module is run).

- Names are resolved at the edge: below the CLI, no module imports the registry (at top level or inside a function).
- The core never imports a plugin.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "posebench"
REGISTRY_NAMES = {"build_model", "load_dataset", "get_protocol", "get_metric", "get_plugin_system", "PluginSystem"}
PLUGIN_PACKAGES = ("posebench_datasets", "posebench_meva", "posebench_vibe", "posebench_hmmr", "posebench_tcn",
                   "posebench_mlp", "posebench_example")

# Modules allowed to resolve names: the CLI (the edge), the registry itself, the package's public API
# (re-exports and api.py's name-taking entry points, for users' scripts and the CLI), and the conformance kit,
# which takes a plugin author's model name as the CLI does.
EDGE = ("cli/", "registry.py", "__init__.py", "api.py", "testing/")


def _imports(path: Path):
    """(line, module, imported names) for every import statement in ``path``, nested ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, set()
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, {alias.name for alias in node.names}


def _core_modules():
    return sorted(p for p in CORE.rglob("*.py") if "__pycache__" not in p.parts)


def _registry_uses(path: Path) -> list[str]:
    where = []
    for line, module, names in _imports(path):
        if (module == "posebench.registry" or (module == "posebench" and names & ({"registry"} | REGISTRY_NAMES))):
            where.append(f"{path.relative_to(CORE.parent)}:{line}")
    return where


def test_the_walk_finds_registry_imports(tmp_path):
    """The checker itself: a nested import of the registry is found."""
    module = tmp_path / "low.py"
    module.write_text("def f(name):\n    from posebench.registry import build_model\n    return build_model(name)\n")
    assert [line for line, mod, _ in _imports(module) if mod == "posebench.registry"] == [2]


def test_below_the_cli_nothing_resolves_names_through_the_registry():
    offenders = [use for path in _core_modules()
                 if not str(path.relative_to(CORE)).replace("\\", "/").startswith(EDGE)
                 for use in _registry_uses(path)]
    assert offenders == [], f"modules below the CLI import the registry (pass them objects instead): {offenders}"


def test_the_core_never_imports_a_plugin():
    offenders = [f"{path.relative_to(CORE.parent)}:{line} imports {module}"
                 for path in _core_modules() for line, module, _ in _imports(path)
                 if module.split(".")[0] in PLUGIN_PACKAGES]
    assert offenders == []


HEAVY_AT_START = ("torch", "pandas", "matplotlib", "cv2", "scipy", "mmengine")


@pytest.mark.parametrize("args", [["--help"], ["models"], ["protocols"]], ids=lambda a: " ".join(a))
def test_cli_start_imports_nothing_heavy(args):
    """Listing commands answer at once: none of the heavy packages is imported before a command needs it."""
    import subprocess
    import sys

    code = ("import sys\nfrom posebench.cli.main import main\nsys.argv = ['posebench', *sys.argv[1:]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY', sorted(m for m in {HEAVY_AT_START!r} if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
    line = next(line for line in run.stdout.splitlines() if line.startswith("HEAVY "))
    assert line == "HEAVY []", f"posebench {' '.join(args)} imported {line[6:]} at start"
