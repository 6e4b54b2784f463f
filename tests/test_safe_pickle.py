"""The allow-list unpicklers: arrays and containers load; anything else is refused and never runs.

Pure-format tests: the arrays are random numbers (no pose is involved).
"""
from __future__ import annotations

import io
import os
import pickle
from collections import OrderedDict

import joblib
import numpy as np
import pytest

from posebench.data.safe_pickle import safe_joblib_load, safe_load
from posebench.errors import DataFormatError
from format_fixtures import dump_python2_pickle

RNG = np.random.default_rng(0)


def _payload():
    return {
        "a": RNG.normal(size=(5, 3)), "i": np.arange(7, dtype=np.int32), "s": np.array(["seq_a", "b"]),
        "obj": np.array(["x", 3], dtype=object), "scal": [np.float64(1.5), np.int64(-2)], "set": {1, 2},
        "fs": frozenset({3}), "od": OrderedDict(k=1), "c": 1 + 2j, "raw": b"\x00\xff", "t": (1, "two"),
        "f": np.asfortranarray(RNG.normal(size=(3, 4))),
    }


def _check(r, d):
    for k in ("a", "i", "f"):
        np.testing.assert_array_equal(r[k], d[k])
    assert list(r["s"]) == ["seq_a", "b"] and r["obj"][1] == 3 and r["scal"][1] == -2
    assert r["set"] == {1, 2} and r["od"] == OrderedDict(k=1) and r["c"] == 1 + 2j and r["raw"] == b"\x00\xff"


@pytest.mark.parametrize("proto", range(0, 6))
def test_safe_load_round_trips_every_protocol(proto):
    d = _payload()
    _check(safe_load(io.BytesIO(pickle.dumps(d, protocol=proto))), d)


def test_safe_load_python2_style_pickle(tmp_path):
    d = {"sequence": "courtyard_a", "poses": [RNG.normal(size=(4, 72))], "genders": ["m"]}
    p = tmp_path / "seq.pkl"
    dump_python2_pickle(d, p)
    assert b"numpy.core.multiarray" in p.read_bytes()
    r = safe_load(p)
    assert r["sequence"] == "courtyard_a" and r["genders"] == ["m"]
    np.testing.assert_array_equal(r["poses"][0], d["poses"][0])
    with pytest.raises(DataFormatError, match="seq.pkl"):  # Python-2 byte strings need latin1
        safe_load(p, encoding="ascii")


@pytest.mark.parametrize("compress", [0, 3, ("gzip", 3)])
@pytest.mark.parametrize("proto", [2, 4, 5])
def test_safe_joblib_load_round_trips(tmp_path, compress, proto):
    d = _payload()
    p = tmp_path / "x_db.pt"
    joblib.dump(d, p, compress=compress, protocol=proto)
    _check(safe_joblib_load(p), d)


class _RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _RunsEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.mark.parametrize("evil_cls, refused", [(_RunsShell, "posix.system"), (_RunsEval, "builtins.eval")])
def test_malicious_pickle_is_refused_and_never_runs(tmp_path, evil_cls, refused):
    marker = tmp_path / "pwned"
    p = tmp_path / "evil.pkl"
    p.write_bytes(pickle.dumps({"poses": [np.zeros(3)], "x": evil_cls(marker)}, protocol=2))
    with pytest.raises(DataFormatError) as err:
        safe_load(p)
    assert str(p) in str(err.value) and refused in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize("where", ["top", "object_array"])
def test_malicious_joblib_is_refused_and_never_runs(tmp_path, where):
    marker = tmp_path / "pwned"
    p = tmp_path / "evil_db.pt"
    evil = _RunsShell(marker)
    joblib.dump({"features": np.zeros((2, 3)), "x": evil if where == "top" else np.array([evil], dtype=object)}, p)
    with pytest.raises(DataFormatError) as err:
        safe_joblib_load(p)
    assert str(p) in str(err.value) and "posix.system" in str(err.value)
    assert not marker.exists()


def test_truncated_and_corrupt_files_name_the_file(tmp_path):
    p = tmp_path / "t.pkl"
    p.write_bytes(pickle.dumps(_payload(), protocol=2)[:200])
    with pytest.raises(DataFormatError, match="t.pkl"):
        safe_load(p)
    q = tmp_path / "t_db.pt"
    joblib.dump(_payload(), q)
    q.write_bytes(q.read_bytes()[:-40])
    with pytest.raises(DataFormatError, match="t_db.pt"):
        safe_joblib_load(q)
    r = tmp_path / "junk_db.pt"
    r.write_bytes(b"not a pickle at all")
    with pytest.raises(DataFormatError, match="junk_db.pt"):
        safe_joblib_load(r)


def test_allowed_narrows_but_cannot_widen():
    b = pickle.dumps({"a": np.zeros(2)}, protocol=2)
    with pytest.raises(DataFormatError, match="numpy"):
        safe_load(io.BytesIO(b), allowed=["builtins.dict"])
    with pytest.raises(ValueError):
        safe_load(io.BytesIO(b), allowed=["os.system"])
