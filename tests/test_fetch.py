"""posebench.data.fetch: mirror copy, file:// download with resume, checksum failures."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from conftest import find_realdata_dir

from posebench.data import fetch as fetch_mod
from posebench.data.fetch import ChecksumError, FetchError, FileSpec, fetch_files, sha256_file
from posebench.errors import PosebenchError


def _make_mirror(tmp_path: Path) -> tuple[Path, list[FileSpec]]:
    """A small mirror: two files with known bytes in nested folders."""
    mirror = tmp_path / "mirror"
    files = {"a/one.bin": os.urandom(3000), "b/c/two.txt": b"hello posebench\n" * 100}
    specs = []
    for rel, data in files.items():
        (mirror / rel).parent.mkdir(parents=True, exist_ok=True)
        (mirror / rel).write_bytes(data)
        specs.append(FileSpec(rel, hashlib.sha256(data).hexdigest(), len(data), []))
    return mirror, specs


def test_mirror_copy_then_skip(tmp_path):
    mirror, specs = _make_mirror(tmp_path)
    dest = tmp_path / "dest"
    paths = fetch_files(specs, dest, mirror=mirror, progress=False)
    assert [p.relative_to(dest).as_posix() for p in paths] == [s.relpath for s in specs]
    for p, s in zip(paths, specs):
        assert sha256_file(p) == s.sha256
    # Present files are not copied again: make the mirror unusable and fetch again.
    for s in specs:
        (mirror / s.relpath).write_bytes(b"corrupt")
    assert fetch_files(specs, dest, mirror=mirror, progress=False) == paths
    assert not list(dest.rglob("*.part"))


def test_realdata_mirror_read_only(tmp_path):
    root = find_realdata_dir()
    if root is None:
        pytest.skip("shared/realdata not found (set POSEBENCH_REALDATA)")
    from posebench_datasets.cmu_trials import TRIALS

    trial = next(t for t in TRIALS if t.trial == "09_01")  # a small BVH file
    paths = fetch_files(trial.specs, tmp_path / "cmu", mirror=str(root), progress=False)
    assert paths[0].read_bytes() == (root / trial.file.relpath).read_bytes()


def test_file_url_download_and_url_mirror(tmp_path):
    mirror, specs = _make_mirror(tmp_path)
    with_urls = [FileSpec(s.relpath, s.sha256, s.size, [(mirror / s.relpath).as_uri()]) for s in specs]
    paths = fetch_files(with_urls, tmp_path / "d1", progress=False)
    assert all(sha256_file(p) == s.sha256 for p, s in zip(paths, specs))
    paths = fetch_files(specs, tmp_path / "d2", mirror=mirror.as_uri(), progress=False)
    assert all(sha256_file(p) == s.sha256 for p, s in zip(paths, specs))


def test_resume_partial_download(tmp_path, monkeypatch):
    mirror, specs = _make_mirror(tmp_path)
    spec = FileSpec(specs[0].relpath, specs[0].sha256, specs[0].size, [(mirror / specs[0].relpath).as_uri()])
    dest = tmp_path / "dest"
    part = dest / (spec.relpath + ".part")
    part.parent.mkdir(parents=True)
    data = (mirror / spec.relpath).read_bytes()
    part.write_bytes(data[:1234])
    offsets = []
    real_open = fetch_mod._open_from
    monkeypatch.setattr(fetch_mod, "_open_from", lambda url, off: offsets.append(off) or real_open(url, off))
    (path,) = fetch_files([spec], dest, progress=False)
    assert offsets == [1234]  # resumed, not restarted
    assert path.read_bytes() == data and not part.exists()


def test_resume_over_a_wrong_prefix_restarts(tmp_path):
    mirror, specs = _make_mirror(tmp_path)
    spec = FileSpec(specs[0].relpath, specs[0].sha256, specs[0].size, [(mirror / specs[0].relpath).as_uri()])
    part = tmp_path / "dest" / (spec.relpath + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"\0" * 100)  # bytes of some other version
    (path,) = fetch_files([spec], tmp_path / "dest", progress=False)
    assert sha256_file(path) == spec.sha256


def test_corrupt_mirror_raises_and_leaves_nothing(tmp_path):
    mirror, specs = _make_mirror(tmp_path)
    (mirror / specs[1].relpath).write_bytes(b"tampered")
    dest = tmp_path / "dest"
    with pytest.raises(ChecksumError) as err:
        fetch_files(specs, dest, mirror=mirror, progress=False)
    msg = str(err.value)
    assert specs[1].relpath in msg and specs[1].sha256 in msg
    assert hashlib.sha256(b"tampered").hexdigest() in msg
    assert isinstance(err.value, PosebenchError)
    assert not (dest / specs[1].relpath).exists()
    assert not list(dest.rglob("*.part"))
    assert (dest / specs[0].relpath).is_file()  # the good file before it was kept


def test_missing_everywhere(tmp_path):
    spec = FileSpec("x/missing.bin", "0" * 64, 10, [(tmp_path / "nowhere.bin").as_uri()])
    with pytest.raises(FetchError, match="x/missing.bin"):
        fetch_files([spec], tmp_path / "dest", progress=False)
    with pytest.raises(FetchError, match="not in the mirror"):
        fetch_files([spec], tmp_path / "dest", mirror=tmp_path, progress=False)


def test_http_download_with_stale_partial(tmp_path):
    """A server that ignores Range (answers 200) makes the download restart from byte 0."""
    import functools
    import http.server
    import threading

    mirror, specs = _make_mirror(tmp_path)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mirror))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        part = tmp_path / "dest" / (specs[0].relpath + ".part")
        part.parent.mkdir(parents=True)
        part.write_bytes((mirror / specs[0].relpath).read_bytes()[:500])
        paths = fetch_files(specs, tmp_path / "dest", mirror=url, progress=False)
        assert all(sha256_file(p) == s.sha256 for p, s in zip(paths, specs))
    finally:
        server.shutdown()
