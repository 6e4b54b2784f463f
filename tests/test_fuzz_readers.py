"""Fuzzing: byte flips, insertions and truncations of well-formed files (built here, and the real
AIST++ pickles when the real data is present) must give either a result or a posebench error from the unpickler, the joblib reader, the npz reader
and the SMPL reader; never another exception (a traceback at the CLI) or a crash.
"""
from __future__ import annotations

import io
import os
import pickle
import sys
import tempfile
from pathlib import Path

import joblib
import numpy as np
import pytest
import scipy.sparse

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from posebench.body_models.smpl_file import _to_plain, load_smpl_model, load_smpl_pickle  # noqa: E402
from posebench.data.safe_npz import load_npz  # noqa: E402
from posebench.data.safe_pickle import safe_joblib_load, safe_load  # noqa: E402
from posebench.errors import PosebenchError  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from format_fixtures import dump_python2_pickle  # noqa: E402

# 150 fixed examples per reader in the suite; POSEBENCH_FUZZ_EXAMPLES=5000 for a longer, random search.
_EXAMPLES = int(os.environ.get("POSEBENCH_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=_EXAMPLES, deadline=None, derandomize="POSEBENCH_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
RNG = np.random.default_rng(0)


def _payload() -> dict:
    return {
        "sequence": "courtyard_a", "genders": ["m", "f"],
        "poses": [RNG.normal(size=(3, 6)), RNG.normal(size=(2, 6)).astype(np.float32)],
        "ids": np.arange(5, dtype=np.int32), "names": np.array(["a", "bc"]), "raw": np.array([b"x", b"yz"]),
        "scal": [np.float64(1.5), np.int64(-2)], "obj": np.array(["x", 3], dtype=object),
        "f": np.asfortranarray(RNG.normal(size=(2, 3))), "flag": np.array([True, False]),
        "nested": {"t": (1, 2.0, None), "s": {1, 2}},
    }


def _pickle_seeds(tmp: Path) -> list[bytes]:
    seeds = [pickle.dumps(_payload(), protocol=p) for p in (2, 4, 5)]
    dump_python2_pickle(_payload(), tmp / "seq.pkl")  # Python-2 strings, numpy 1.x names
    return seeds + [(tmp / "seq.pkl").read_bytes()]


def _joblib_seeds(tmp: Path) -> list[bytes]:
    for compress in (0, 3):
        joblib.dump(_payload(), tmp / f"seed{compress}_db.pt", compress=compress)
    return [(tmp / f"seed{compress}_db.pt").read_bytes() for compress in (0, 3)]


def _mini_smpl_pickle() -> bytes:
    """An SMPL-layout pickle at a tiny size: chumpy-style objects and a csc J_regressor."""
    import types

    class Ch:
        def __init__(self, x):
            self.x = np.asarray(x, np.float64)

        def __getstate__(self):
            return {"x": self.x, "_dirty_vars": set(), "_itr": None}

    Ch.__module__, Ch.__qualname__, Ch.__name__ = "chumpy.ch", "Ch", "Ch"
    mods = {name: sys.modules.get(name) for name in ("chumpy", "chumpy.ch")}
    ch_mod = types.ModuleType("chumpy.ch")
    ch_mod.Ch = Ch
    sys.modules["chumpy"], sys.modules["chumpy.ch"] = types.ModuleType("chumpy"), ch_mod
    try:
        regressor = np.zeros((3, 8))
        regressor[0, 1], regressor[1, 4], regressor[2, 7] = 0.5, 1.0, 0.25
        model = {"v_template": Ch(RNG.normal(size=(8, 3))), "shapedirs": Ch(RNG.normal(size=(8, 3, 2))),
                 "J_regressor": scipy.sparse.csc_matrix(regressor), "weights": RNG.uniform(size=(8, 3)),
                 "kintree_table": np.array([[4294967295, 0, 1], [0, 1, 2]], np.int64), "f": np.arange(12).reshape(4, 3),
                 "bs_style": "lbs"}
        return pickle.dumps(model, protocol=2)
    finally:
        for name, module in mods.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _npz_seeds() -> list[bytes]:
    out = []
    for compressed in (False, True):
        buf = io.BytesIO()
        save = np.savez_compressed if compressed else np.savez
        save(buf, poses=RNG.normal(size=(4, 9)), gender=np.array("male"), rate=np.array(120.0),
             ids=np.arange(3, dtype=np.uint16))
        out.append(buf.getvalue())
    return out


with tempfile.TemporaryDirectory() as _tmp:
    PICKLE_SEEDS = _pickle_seeds(Path(_tmp))
    JOBLIB_SEEDS = _joblib_seeds(Path(_tmp))
SMPL_SEED = _mini_smpl_pickle()
NPZ_SEEDS = _npz_seeds()


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed with a few byte flips/overwrites, maybe an insertion, maybe truncated."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data) - 1))
        if draw(st.booleans()):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        else:
            data[pos] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, ord("."), ord("("), ord("R"), ord("b")]))
    if draw(st.booleans()):
        pos = draw(st.integers(0, len(data)))
        data[pos:pos] = draw(st.binary(min_size=1, max_size=9))
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def _only_posebench_errors(fn, *args):
    try:
        fn(*args)
    except PosebenchError:
        pass


def _only_posebench_errors_from_file(path: Path, data: bytes, reader) -> None:
    """Write ``data`` to ``path`` and read it back with ``reader``: a named error or nothing."""
    path.write_bytes(data)
    _only_posebench_errors(reader, path)


def test_seeds_load(tmp_path):
    for seed in PICKLE_SEEDS:
        assert safe_load(io.BytesIO(seed))["sequence"] == "courtyard_a"
    for i, seed in enumerate(JOBLIB_SEEDS):
        (tmp_path / f"{i}_db.pt").write_bytes(seed)
        assert safe_joblib_load(tmp_path / f"{i}_db.pt")["names"].tolist() == ["a", "bc"]
    for i, seed in enumerate(NPZ_SEEDS):
        (tmp_path / f"{i}.npz").write_bytes(seed)
        assert load_npz(tmp_path / f"{i}.npz")["poses"].shape == (4, 9)


@FUZZ
@given(data=mutated(PICKLE_SEEDS))
def test_fuzz_unpickler(data):
    _only_posebench_errors(safe_load, io.BytesIO(data))


@FUZZ
@given(data=st.data())
def test_fuzz_unpickler_on_real_files(realdata_dir, data):
    """Mutations of the real AIST++ release pickles (motions: SMPL poses; keypoints3d)."""
    seeds = [p.read_bytes() for p in sorted(realdata_dir.glob("aistpp/motions/*.pkl"))[:1]
             + sorted(realdata_dir.glob("aistpp/keypoints3d/*.pkl"))[:1]]
    if not seeds:
        pytest.skip("no AIST++ pickles in the real data")
    _only_posebench_errors(safe_load, io.BytesIO(data.draw(mutated(seeds))))


@FUZZ
@given(data=mutated(JOBLIB_SEEDS))
def test_fuzz_joblib(tmp_path, data):
    _only_posebench_errors_from_file(tmp_path / "fuzz_db.pt", data, safe_joblib_load)


@FUZZ
@given(data=mutated(NPZ_SEEDS))
def test_fuzz_npz_reader(tmp_path, data):
    _only_posebench_errors_from_file(tmp_path / "fuzz.npz", data, load_npz)


def _load_smpl_and_regressor(path: Path) -> None:
    raw = load_smpl_pickle(path)
    if "J_regressor" in raw:
        _to_plain(raw["J_regressor"], path, "J_regressor")  # the sparse densifier, reached first here
    load_smpl_model(path)


@FUZZ
@given(data=mutated([SMPL_SEED]))
def test_fuzz_smpl_reader(tmp_path, data):
    _only_posebench_errors_from_file(tmp_path / "SMPL_NEUTRAL.pkl", data, _load_smpl_and_regressor)


def test_mini_smpl_seed_reaches_the_regressor(tmp_path):
    path = tmp_path / "SMPL_NEUTRAL.pkl"
    path.write_bytes(SMPL_SEED)
    raw = load_smpl_pickle(path)
    dense = _to_plain(raw["J_regressor"], path, "J_regressor")
    assert dense.shape == (3, 8) and dense[1, 4] == 1.0
