"""Crafted hostile files: each fails with one named posebench error, never a crash or a leak.

The memory-corruption cases (forged dtypes, out-of-range sparse indices, oversized tensors)
are loaded in a subprocess: before the fix they segfault, which must fail the test rather
than kill pytest.
"""
from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest

from posebench.data.safe_pickle import safe_joblib_load, safe_load
from posebench.errors import CheckpointError, DataFormatError, PosebenchError

_reconstruct = np._core.multiarray._reconstruct
_scalar = np._core.multiarray.scalar

# A structured dtype whose object field the file's flags (0) claim is raw bytes: numpy would
# then copy file bytes into object slots and dereference 0x4141414141414141.
FORGED_STRUCT_STATE = (3, "|", None, ("a", "b"), {"a": (np.dtype("O"), 0), "b": (np.dtype("f8"), 8)}, 16, 1, 0)
# A plain float64 whose flags claim it holds objects (NPY_ITEM_REFCOUNT ...): numpy would decref floats.
FORGED_FLOAT_STATE = (3, "<", None, None, None, -1, -1, 63)


class ForgedDtype:
    def __init__(self, spec: str, state: tuple):
        self.spec, self.state = spec, state

    def __reduce__(self):
        return (np.dtype, (self.spec, False, True), self.state)


class ForgedArray:
    """Pickles as ``_reconstruct`` + ``ndarray.__setstate__`` with a forged dtype and raw bytes."""

    def __init__(self, dtype: ForgedDtype, raw: bytes, shape=(1,)):
        self.dtype, self.raw, self.shape = dtype, raw, shape

    def __reduce__(self):
        return (_reconstruct, (np.ndarray, (0,), b"b"), (1, self.shape, self.dtype, False, self.raw))


class ForgedNdarrayCall:
    """Pickles as ``numpy.ndarray(shape, dtype, buffer)``."""

    def __init__(self, dtype: ForgedDtype, raw: bytes):
        self.dtype, self.raw = dtype, raw

    def __reduce__(self):
        return (np.ndarray, ((1,), self.dtype, self.raw))


class ForgedScalar:
    def __init__(self, dtype: ForgedDtype, raw: bytes):
        self.dtype, self.raw = dtype, raw

    def __reduce__(self):
        return (_scalar, (self.dtype, self.raw))


class Call:
    """Pickles as ``func(*args)``."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def forged_payloads() -> dict[str, object]:
    struct_dt = ForgedDtype("V16", FORGED_STRUCT_STATE)
    float_dt = ForgedDtype("f8", FORGED_FLOAT_STATE)
    # "O8" spec with the flags of raw bytes: object slots filled from file bytes
    object_dt = ForgedDtype("O8", (3, "|", None, None, None, -1, -1, 0))
    return {
        "struct_setstate": ForgedArray(struct_dt, b"A" * 16),
        "float_flags_setstate": ForgedArray(float_dt, b"A" * 8),
        "object_as_bytes_setstate": ForgedArray(object_dt, b"A" * 8),
        "struct_ndarray_buffer": ForgedNdarrayCall(struct_dt, b"A" * 16),
        "object_scalar": ForgedScalar(object_dt, b"A" * 8),
    }


# ----------------------------------------------------------------------------- subprocess loading

_RUNNER = textwrap.dedent("""
    import json, sys
    from posebench.errors import PosebenchError

    def load(kind, path):
        if kind == "pickle":
            from posebench.data.safe_pickle import safe_load
            return safe_load(path)
        if kind == "joblib":
            from posebench.data.safe_pickle import safe_joblib_load
            return safe_joblib_load(path)
        if kind == "smpl":
            from posebench.body_models.smpl_file import load_smpl_model
            return load_smpl_model(path)
        if kind == "smpl_regressor":  # the J_regressor of an SMPL pickle, densified as load_smpl_model does
            from posebench.body_models.smpl_file import _to_plain, load_smpl_pickle
            return _to_plain(load_smpl_pickle(path)["J_regressor"], path, "J_regressor")
        if kind == "meva_p":
            from posebench_meva.official import load_tensor_pickle
            return load_tensor_pickle(path)
        if kind == "official":
            from posebench.training.official_checkpoint import read_official_checkpoint
            return read_official_checkpoint(path, required_key="gen_state_dict", kind="test checkpoint")
        raise AssertionError(kind)

    for kind, path in zip(sys.argv[1::2], sys.argv[2::2]):
        try:
            result = ["loaded", repr(load(kind, path))[:300], False]
        except Exception as exc:
            result = [type(exc).__name__, str(exc), isinstance(exc, PosebenchError)]
        print(json.dumps(result), flush=True)
""")


def load_in_subprocess(kind: str, *paths: Path) -> list[tuple[str, str]]:
    """(error class or "loaded", message) of loading each path in one fresh process; a crash
    (segfault, abort) fails the test instead of killing pytest."""
    args = [x for p in paths for x in (kind, str(p))]
    proc = subprocess.run([sys.executable, "-c", _RUNNER, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"loader crashed (exit {proc.returncode}): {proc.stderr[-2000:]}"
    results = [json.loads(line) for line in proc.stdout.strip().splitlines()]
    assert len(results) == len(paths)
    for name, message, named in results:
        assert name == "loaded" or named, f"not a posebench error: {name}: {message}"
    return [(name, message) for name, message, _ in results]


# ----------------------------------------------------------------------------- pickle and joblib

def test_forged_dtype_pickle_is_refused(tmp_path):
    paths = []
    for case, payload in sorted(forged_payloads().items()):
        paths.append(tmp_path / f"{case}.pkl")
        paths[-1].write_bytes(pickle.dumps({"sequence": "x", "poses": [payload]}, protocol=2))
    for path, (name, message) in zip(paths, load_in_subprocess("pickle", *paths)):
        assert name == "DataFormatError" and str(path) in message and "dtype" in message, message


def _joblib_with_wrapper(path: Path, dtype_obj, raw: bytes, shape=(1,)) -> None:
    """A joblib file whose single array wrapper carries ``dtype_obj`` and is followed by ``raw``."""
    from joblib.numpy_pickle import NumpyArrayWrapper

    wrapper = NumpyArrayWrapper(np.ndarray, shape, "C", np.dtype("f8"), numpy_array_alignment_bytes=None)
    wrapper.dtype = dtype_obj
    data = pickle.dumps(wrapper, protocol=2)
    assert data.endswith(b".")
    path.write_bytes(data[:-1] + raw + b".")


def test_joblib_file_builder_is_faithful(tmp_path):
    """The crafted layout loads when the dtype is honest (so the refusals below are about the dtype)."""
    path = tmp_path / "ok_db.pt"
    _joblib_with_wrapper(path, np.dtype("f8"), np.float64(2.5).tobytes())
    assert safe_joblib_load(path).tolist() == [2.5]


FORGED_DTYPES = {"struct": ForgedDtype("V16", FORGED_STRUCT_STATE), "float_flags": ForgedDtype("f8", FORGED_FLOAT_STATE),
                 "object_as_bytes": ForgedDtype("O8", (3, "|", None, None, None, -1, -1, 0))}


def test_forged_dtype_joblib_is_refused(tmp_path):
    """Forged wrapper dtypes (VIBE ``*_db.pt``, ``amass_db.pt``), and an object array whose nested
    pickle smuggles a forged array: joblib reads object arrays with a pickle of their own."""
    paths = []
    for case, dtype in FORGED_DTYPES.items():
        paths.append(tmp_path / f"mpii3d_{case}_db.pt")
        _joblib_with_wrapper(paths[-1], dtype, b"A" * 16)
    paths.append(tmp_path / "amass_db.pt")
    _joblib_with_wrapper(paths[-1], np.dtype("O"), pickle.dumps(forged_payloads()["struct_setstate"], protocol=2))
    for path, (name, message) in zip(paths, load_in_subprocess("joblib", *paths)):
        assert name == "DataFormatError" and str(path) in message and "dtype" in message, message


def test_real_object_arrays_still_load(tmp_path):
    d = {"names": np.array(["a", 3], dtype=object), "x": np.arange(4.0)}
    joblib.dump(d, tmp_path / "db.pt")
    assert safe_joblib_load(tmp_path / "db.pt")["names"].tolist() == ["a", 3]
    assert safe_load(io.BytesIO(pickle.dumps(d, protocol=2)))["names"].tolist() == ["a", 3]


def test_array_length_must_match_shape():
    honest_f8 = ForgedDtype("f8", np.dtype("f8").__reduce__()[2])
    assert safe_load(io.BytesIO(pickle.dumps(ForgedArray(honest_f8, b"\0" * 8), protocol=2))).tolist() == [0.0]
    for shape in ((16,), (2**40, 2**40), (-1,)):
        with pytest.raises(DataFormatError, match="shape"):
            safe_load(io.BytesIO(pickle.dumps(ForgedArray(honest_f8, b"\0" * 8, shape), protocol=2)))


# ----------------------------------------------------------------------------- memory bombs

def test_range_expansion_bomb_is_refused():
    data = pickle.dumps(Call(list, range(30_000_000)), protocol=2)
    assert len(data) < 200
    with pytest.raises(DataFormatError, match="range of 30000000"):
        safe_load(io.BytesIO(data))
    with pytest.raises(DataFormatError, match="bytes"):
        safe_load(io.BytesIO(pickle.dumps(Call(bytes, 10**10), protocol=2)))


def test_declared_lengths_beyond_the_file_are_refused():
    bytearray8 = b"\x80\x05\x96" + (1 << 40).to_bytes(8, "little") + b"."
    binbytes8 = b"\x80\x04\x8e" + (3 << 30).to_bytes(8, "little") + b"xx."
    for data in (bytearray8, binbytes8):
        with pytest.raises(DataFormatError):
            safe_load(io.BytesIO(data))


def test_huge_memo_index_allocates_nothing():
    # LONG_BINPUT 2**31: the C unpickler would grow its memo table to 16 GB
    data = b"\x80\x02K\x07r" + (1 << 31).to_bytes(4, "little") + b"."
    assert safe_load(io.BytesIO(data)) == 7


def test_deep_nesting_is_refused():
    data = b"\x80\x02" + b"]" * 5000 + b"a" * 4999 + b"."  # [[[[...]]]] 5000 deep
    with pytest.raises(DataFormatError, match="nested"):
        safe_load(io.BytesIO(data))


@pytest.mark.parametrize("depth, match", [(50, "expected a string"), (5000, "nested")])
def test_3dpw_nested_sequence_name_is_one_line_error(tmp_path, depth, match):
    from posebench_datasets.threedpw import read_sequence

    # {"sequence": [[[...["x"]...]]]} written opcode by opcode (pickle.dumps would recurse)
    data = b"\x80\x02}X\x08\x00\x00\x00sequence" + b"]" * depth + b"X\x01\x00\x00\x00x" + b"a" * depth + b"s."
    path = tmp_path / "courtyard.pkl"
    path.write_bytes(data)
    with pytest.raises(DataFormatError, match=match):
        read_sequence(path)


def test_refused_build_on_other_types():
    class SetsState:
        def __reduce__(self):
            return (complex, (1, 2), {"real": 5})

    with pytest.raises(DataFormatError, match="BUILD"):
        safe_load(io.BytesIO(pickle.dumps(SetsState(), protocol=2)))


# ----------------------------------------------------------------------------- npz

def test_npz_with_a_non_npy_member_names_it(tmp_path):
    from posebench.data.safe_npz import load_npz

    path = tmp_path / "m.npz"
    np.savez(path, poses=np.zeros((3, 156)))
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("payload.pkl", pickle.dumps({"a": 1}))
    with pytest.raises(DataFormatError, match=r"m\.npz.*payload\.pkl"):
        load_npz(path)


def test_npz_expansion_bomb_is_refused_before_allocation(tmp_path, monkeypatch):
    from posebench.data import safe_npz

    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, poses=np.zeros(1 << 20))  # 8 MB of zeros in ~8 kB
    monkeypatch.setattr(safe_npz, "MIN_DECOMPRESSED_BUDGET", 1 << 20)  # the real floor is 256 MB
    with pytest.raises(DataFormatError, match=r"bomb\.npz.*poses.*uncompressed"):
        safe_npz.load_npz(path)


def test_npz_header_larger_than_member_is_refused(tmp_path):
    from posebench.data.safe_npz import load_npz

    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }"
    header = header.ljust(64 * 2 - 10 - 1) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 64
    path = tmp_path / "lie.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("poses.npy", npy)
    with pytest.raises(DataFormatError, match=r"lie\.npz.*poses.*needs 8000000000 bytes"):
        load_npz(path)


def test_amass_reader_uses_the_safe_npz_reader(tmp_path):
    from posebench_datasets.amass import read_amass_npz

    path = tmp_path / "a_poses.npz"
    np.savez(path, poses=np.zeros((3, 156)), gender=np.array(["x", 1], dtype=object))
    with pytest.raises(DataFormatError, match=r"a_poses\.npz.*gender"):
        read_amass_npz(path)


# ----------------------------------------------------------------------------- SMPL sparse regressor

def _smpl_pickle_with_regressor(path: Path, data, indices, indptr, shape, regressor_only: bool = False) -> None:
    """An SMPL pickle whose ``J_regressor`` csc_matrix carries the given (unchecked) arrays."""
    import scipy.sparse

    from smpl_fixture import synthetic_smpl_arrays

    arrays = {"J_regressor": np.eye(24, 6890)} if regressor_only else synthetic_smpl_arrays(0)
    sparse = scipy.sparse.csc_matrix(arrays["J_regressor"])
    sparse.data, sparse.indices = np.asarray(data, np.float64), np.asarray(indices, np.int32)
    sparse.indptr, sparse._shape = np.asarray(indptr, np.int32), shape  # scipy does not check these
    path.write_bytes(pickle.dumps({**arrays, "J_regressor": sparse}, protocol=2))


def test_out_of_range_sparse_regressor_is_refused(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    rows, cols = 24, 6890
    cases = {}
    for case in ("index_out_of_range", "negative_index", "indptr_past_end", "indptr_decreasing", "huge_shape"):
        indptr = np.zeros(cols + 1, np.int64)
        indptr[1:] = 1  # one entry, in column 0
        data, indices, shape = [1.0], [0], (rows, cols)
        if case == "index_out_of_range":
            indices = [10**8]
        elif case == "negative_index":
            indices = [-(10**8)]
        elif case == "indptr_past_end":
            indptr[1:] = 10**6
        elif case == "indptr_decreasing":
            indptr[cols // 2:] = 0
        elif case == "huge_shape":
            shape = (10**6, 10**6)
        cases[case] = (data, indices, indptr, shape)
    # one whole SMPL model (the path `posebench eval` reaches), the others as the regressor alone
    full = tmp_path / "SMPL_NEUTRAL.pkl"
    _smpl_pickle_with_regressor(full, *cases["index_out_of_range"])
    ((name, message),) = load_in_subprocess("smpl", full)
    assert name == "DataFormatError" and "J_regressor" in message and "sparse" in message, message
    paths = []
    for case, arrays in cases.items():
        paths.append(tmp_path / f"{case}.pkl")
        _smpl_pickle_with_regressor(paths[-1], *arrays, regressor_only=True)
    for path, (name, message) in zip(paths, load_in_subprocess("smpl_regressor", *paths)):
        assert name == "DataFormatError" and "J_regressor" in message and "sparse" in message, message


def test_valid_sparse_regressor_densifies_like_scipy():
    import scipy.sparse

    from posebench.body_models.smpl_file import _CscStandIn, _CsrStandIn

    dense = np.zeros((4, 5))
    dense[0, 1], dense[3, 4], dense[2, 0] = 0.5, 0.25, 1.0
    for cls, fmt in ((_CscStandIn, scipy.sparse.csc_matrix), (_CsrStandIn, scipy.sparse.csr_matrix)):
        m = fmt(dense)
        stand_in = cls()
        stand_in.__setstate__({"data": m.data, "indices": m.indices, "indptr": m.indptr, "_shape": m.shape})
        np.testing.assert_array_equal(stand_in.to_dense(), dense)


# ----------------------------------------------------------------------------- MEVA .p and official checkpoints

def _tensor_pickle_bytes(storage_numel: int, size: tuple[int, ...]) -> bytes:
    import torch

    storage = torch.arange(float(storage_numel)).untyped_storage()
    stride = tuple(int(np.prod(size[i + 1:])) for i in range(len(size)))

    class T:
        def __reduce__(self):
            typed = torch.storage.TypedStorage(wrap_storage=storage, dtype=torch.float32, _internal=True)
            return (torch._utils._rebuild_tensor_v2, (typed, 0, size, stride, False, collections.OrderedDict()))

    return pickle.dumps({"model_dict": {"w": T()}}, protocol=2)


def test_meva_tensor_larger_than_its_storage_is_refused(tmp_path):
    ok = tmp_path / "model_ok.p"
    ok.write_bytes(_tensor_pickle_bytes(4, (2, 2)))
    bad = tmp_path / "model_1000.p"
    bad.write_bytes(_tensor_pickle_bytes(4, (1000, 1000)))  # 4 floats of storage, 10**6 asked for
    (ok_name, ok_message), (name, message) = load_in_subprocess("meva_p", ok, bad)
    assert ok_name == "loaded" and "tensor" in ok_message, ok_message
    assert name == "CheckpointError" and "storage" in message and str(bad) in message, message


def test_official_checkpoint_reads_numpy_scalar_performance(tmp_path):
    import torch

    from posebench.training.official_checkpoint import read_official_checkpoint
    from posebench_meva.official import read_official_meva_state

    path = tmp_path / "model_best.pth.tar"
    torch.save({"epoch": 3, "gen_state_dict": {"w": torch.ones(2)}, "performance": np.float64(71.25)}, path)
    ckpt = read_official_checkpoint(path, required_key="gen_state_dict", kind="MEVA checkpoint")
    assert ckpt["performance"] == 71.25 and isinstance(ckpt["performance"], np.float64)
    assert torch.equal(read_official_meva_state(path)["w"], torch.ones(2))
    with pytest.raises(CheckpointError, match="gen_state_dict"):
        read_official_checkpoint(path, required_key="nope", kind="MEVA checkpoint")


def test_official_checkpoint_with_forged_numpy_dtype_is_refused(tmp_path):
    import torch

    paths = []
    for case, dtype in FORGED_DTYPES.items():
        paths.append(tmp_path / f"{case}_vibe_model_wo_3dpw.pth.tar")
        torch.save({"gen_state_dict": {}, "performance": ForgedScalar(dtype, b"A" * 16)}, paths[-1])
    for path, (name, message) in zip(paths, load_in_subprocess("official", *paths)):
        assert name == "CheckpointError" and str(path) in message, message


# ----------------------------------------------------------------------------- insta h5

def _write_insta(root: Path, link: str) -> Path:
    import h5py

    from format_fixtures import write_insta_h5

    n = 4
    path = write_insta_h5(root / "insta_train_db.h5", vid_name=np.array(["v"] * n), frame_id=np.arange(n),
                          joints2D=np.zeros((n, 25, 3)), features=np.zeros((n, 8)))
    secret = root / "secret.h5"
    with h5py.File(secret, "w") as f:
        f.create_dataset("data", data=np.full((n, 25, 3), 7.0, np.float32))
    with h5py.File(path, "a") as f:
        del f["joints2D"]
        if link == "external":
            f["joints2D"] = h5py.ExternalLink(str(secret), "data")
        elif link == "soft":
            f.create_dataset("elsewhere", data=np.zeros((n, 25, 3), np.float32))
            f["joints2D"] = h5py.SoftLink("/elsewhere")
        elif link == "virtual":
            layout = h5py.VirtualLayout(shape=(n, 25, 3), dtype=np.float32)
            layout[:] = h5py.VirtualSource(str(secret), "data", shape=(n, 25, 3))
            f.create_virtual_dataset("joints2D", layout)
        elif link == "external_storage":
            raw = root / "raw.bin"
            raw.write_bytes(b"\0" * (n * 25 * 3 * 4))
            f.create_dataset("joints2D", shape=(n, 25, 3), dtype=np.float32, external=[(str(raw), 0, h5py.h5f.UNLIMITED)])
        elif link == "fill_bomb":
            f.create_dataset("joints2D", shape=(10**9, 25, 3), dtype=np.float32, chunks=(1, 25, 3))
    return path


@pytest.mark.parametrize("link", ["external", "soft", "virtual", "external_storage", "fill_bomb"])
def test_insta_h5_reads_only_its_own_datasets(tmp_path, link, monkeypatch):
    from posebench_datasets.insta import InstaVariety

    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    _write_insta(tmp_path, link)
    with pytest.raises(DataFormatError, match=r"insta_train_db\.h5.*joints2D") as err:
        InstaVariety(root=tmp_path).tracks("train")
    assert "7.0" not in str(err.value)


# ----------------------------------------------------------------------------- fetch

def _spec_and_mirror(tmp_path: Path, data: bytes = b"dataset bytes\n" * 50):
    from posebench.data.fetch import FileSpec

    mirror = tmp_path / "mirror"
    (mirror / "d").mkdir(parents=True)
    (mirror / "d" / "f.bin").write_bytes(data)
    return FileSpec("d/f.bin", hashlib.sha256(data).hexdigest(), len(data), []), mirror


def test_fetch_never_writes_through_a_planted_part_symlink(tmp_path):
    from posebench.data.fetch import fetch_files

    spec, mirror = _spec_and_mirror(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    dest = tmp_path / "data"
    (dest / "d").mkdir(parents=True)
    os.symlink(victim, dest / "d" / "f.bin.part")
    (path,) = fetch_files([spec], dest, mirror=mirror, progress=False)
    assert victim.read_text() == "precious\n"
    assert path.read_bytes() == (mirror / "d" / "f.bin").read_bytes() and not path.is_symlink()
    # same with a URL download that would resume the .part
    spec_url = type(spec)(spec.relpath, spec.sha256, spec.size, [(mirror / "d" / "f.bin").as_uri()])
    path.unlink()
    os.symlink(victim, dest / "d" / "f.bin.part")
    fetch_files([spec_url], dest, progress=False)
    assert victim.read_text() == "precious\n"
    # and a hard link
    path.unlink()
    os.link(victim, dest / "d" / "f.bin.part")
    fetch_files([spec], dest, mirror=mirror, progress=False)
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("relpath", ["../outside.bin", "/etc/passwd", "a/../../b", ""])
def test_fetch_spec_paths_stay_inside(relpath):
    from posebench.data.fetch import FetchError, FileSpec

    with pytest.raises(FetchError, match="inside the dataset folder"):
        FileSpec(relpath, "0" * 64, 1, [])


def test_fetch_refuses_a_symlinked_subfolder(tmp_path):
    from posebench.data.fetch import FetchError, fetch_files

    spec, mirror = _spec_and_mirror(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "data"
    dest.mkdir()
    os.symlink(outside, dest / "d")
    with pytest.raises(FetchError, match="outside the dataset folder"):
        fetch_files([spec], dest, mirror=mirror, progress=False)
    assert not list(outside.iterdir())


def test_fetch_checks_mirror_size_before_copying(tmp_path):
    from posebench.data.fetch import ChecksumError, fetch_files

    spec, mirror = _spec_and_mirror(tmp_path)
    (mirror / "d" / "f.bin").write_bytes(b"x" * (spec.size * 10))
    dest = tmp_path / "data"
    with pytest.raises(ChecksumError, match=f"expected {spec.size}"):
        fetch_files([spec], dest, mirror=mirror, progress=False)
    assert not (dest / "d" / "f.bin.part").exists() and not (dest / "d" / "f.bin").exists()


def test_second_concurrent_fetch_fails_naming_the_lock(tmp_path):
    import fcntl

    from posebench.data.fetch import fetch_files
    from posebench.locking import LockError, lock_path

    spec, mirror = _spec_and_mirror(tmp_path)
    dest = tmp_path / "data"
    dest.mkdir()
    with open(lock_path(dest), "w") as held:  # another fetch holds the dataset folder
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LockError, match=r"\.posebench\.lock"):
            fetch_files([spec], dest, mirror=mirror, progress=False)
    (path,) = fetch_files([spec], dest, mirror=mirror, progress=False)
    assert path.is_file() and not lock_path(dest).exists()


# ----------------------------------------------------------------------------- mocap numbers

@pytest.mark.parametrize("value", ["1e300", "nan", "inf", "-1e400"])
def test_bvh_refuses_non_finite_and_huge_values_with_line(tmp_path, value):
    from posebench.data.mocap.bvh import read_bvh

    text = ("HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0 0\n  CHANNELS 6 Xposition Yposition Zposition Zrotation "
            "Xrotation Yrotation\n  End Site\n  {\n    OFFSET 0 1 0\n  }\n}\nMOTION\nFrames: 2\n"
            f"Frame Time: 0.0083333\n0 0 0 0 0 0\n0 {value} 0 0 0 0\n")
    path = tmp_path / "m.bvh"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=r"m\.bvh, line 15"):
        read_bvh(path)


def test_asf_refuses_huge_values_with_line(tmp_path):
    from posebench.data.mocap.asfamc import _floats

    with pytest.raises(DataFormatError, match=r"s\.asf, line 12.*1e300"):
        _floats(Path("s.asf"), ["1", "1e300"], 12, "direction")


def test_every_error_here_is_a_posebench_error():
    assert issubclass(DataFormatError, PosebenchError) and issubclass(CheckpointError, PosebenchError)
