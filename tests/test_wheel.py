"""The wheel carries everything a non-editable install needs: every package, the shipped configs, the data files.

The CI (.ci/run) installs the wheel into a fresh environment and trains and evaluates from outside the checkout;
these tests catch the usual cause of a failure there (a new folder or data file not declared in pyproject.toml) early.
"""
from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_FOLDERS = ("posebench", "datasets", "plugins", "configs")
NOT_SHIPPED = {".md", ".pyc"}


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _package_folders() -> dict[str, Path]:
    """Import name -> source folder, for every package pyproject.toml lists."""
    cfg = _setuptools()
    mapped = cfg.get("package-dir", {})
    folders = {}
    for name in cfg["packages"]:
        top, *rest = name.split(".")
        folders[name] = ROOT.joinpath(mapped.get(top, top), *rest)
    return folders


def _data_globs(package: str) -> list[str]:
    data = _setuptools().get("package-data", {})
    return data.get(package, []) + data.get("*", [])


def _source_files():
    for folder in SOURCE_FOLDERS:
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in NOT_SHIPPED:
                yield path


def test_every_source_package_is_listed():
    listed = {path.resolve() for path in _package_folders().values()}
    missing = sorted(str(init.parent.relative_to(ROOT)) for folder in SOURCE_FOLDERS
                     for init in (ROOT / folder).rglob("__init__.py")
                     if "__pycache__" not in init.parts and init.parent.resolve() not in listed)
    assert missing == [], f"folders with __init__.py missing from [tool.setuptools] packages: {missing}"
    absent = sorted(name for name, path in _package_folders().items() if not (path / "__init__.py").is_file())
    assert absent == [], f"listed packages without a folder: {absent}"


def test_every_data_file_is_package_data():
    """A file that is not a module of a listed package (a config, an .npz) must match a package-data glob."""
    by_folder = {path.resolve(): name for name, path in _package_folders().items()}
    unshipped = []
    for path in _source_files():
        if path.suffix == ".py" and path.parent.resolve() in by_folder:
            continue  # a module
        owner = next((p for p in path.resolve().parents if p in by_folder), None)
        if owner is None:
            unshipped.append(str(path.relative_to(ROOT)))
            continue
        rel = path.resolve().relative_to(owner).as_posix()
        if not any(fnmatch.fnmatch(rel, pattern) for pattern in _data_globs(by_folder[owner])):
            unshipped.append(str(path.relative_to(ROOT)))
    assert unshipped == [], f"files a wheel would leave out (add them to [tool.setuptools.package-data]): {unshipped}"


@pytest.mark.slow
def test_built_wheel_holds_the_configs_and_data(tmp_path):
    """Build the wheel from a copy of the source (the checkout stays untouched) and look inside."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know which files are part of the source")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\n")
    source = tmp_path / "src"
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, source / rel)
    # Build isolation, as .ci/run builds: a fresh environment's setuptools may be too old to build a wheel itself.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(source)],
                   check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("posebench_hmr-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("posebench_configs/vibe/test.py", "posebench_configs/meva/cpu.py", "posebench_configs/_base_/budget.py",
                     "posebench/body_models/data/skeleton_body_model.npz", "posebench/cli/main.py",
                     "posebench_vibe/plugin.py", "posebench_datasets/cmu.py"):
        assert required in names, required
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "posebench.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
