"""Every array file a user hands posebench goes through the safe readers (posebench.data.safe_npz):
a malformed ``posebench score`` input is one named line at the CLI, never a traceback, and
array sizes are checked against the file before anything is allocated."""
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from posebench.cli.main import cli
from posebench.data.safe_npz import load_npy, load_npz, open_npz
from posebench.errors import DataFormatError
from posebench.predictions import write_predictions

REPO = Path(__file__).resolve().parents[1]
STANDING_M = np.array([
    [-0.10, 0.00, 0.0], [-0.10, 0.45, 0.0], [-0.10, 0.90, 0.0], [0.10, 0.90, 0.0], [0.10, 0.45, 0.0],
    [0.10, 0.00, 0.0], [-0.45, 1.00, 0.0], [-0.35, 1.20, 0.0], [-0.20, 1.40, 0.0], [0.20, 1.40, 0.0],
    [0.35, 1.20, 0.0], [0.45, 1.00, 0.0], [0.00, 1.50, 0.0], [0.00, 1.75, 0.0]])


def npy_bytes_declaring(shape, descr="<f8", payload=b"\0" * 64) -> bytes:
    """A .npy stream whose header claims ``shape`` but which holds only ``payload``."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header = header.ljust(128 - 10 - 1) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + payload


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    seqs = {f"s{i}": STANDING_M + rng.normal(scale=0.02, size=(30, 14, 3)) for i in range(2)}
    write_predictions(tmp_path / "gt.npz", {s: {"joints3d_m": g} for s, g in seqs.items()}, fps=30)
    write_predictions(tmp_path / "pred.npz", {s: {"joints3d_m": g + 0.01} for s, g in seqs.items()}, fps=30)
    return tmp_path


def rewrite_member(src: Path, dst: Path, member: str, new_name: str, new_bytes: bytes | None = None) -> Path:
    """Copy the npz ``src`` to ``dst`` with ``member`` renamed (and its bytes replaced)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == member:
                zout.writestr(new_name, data if new_bytes is None else new_bytes)
            else:
                zout.writestr(info.filename, data)
    return dst


def score_error(folder: Path, pred: Path) -> str:
    result = CliRunner().invoke(cli, ["score", str(pred), "--gt", str(folder / "gt.npz")])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_score_reads_the_written_files(files):
    result = CliRunner().invoke(cli, ["score", str(files / "pred.npz"), "--gt", str(files / "gt.npz")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("member", ["joints3d_m/s0.npy", "sequences.npy", "fps.npy"])
def test_score_non_npy_member_is_one_line(files, member):
    """A member stored without ``.npy`` used to reach the checks as raw bytes (AttributeError traceback)."""
    bad = rewrite_member(files / "pred.npz", files / "bad.npz", member, member[:-len(".npy")], b"junk")
    line = score_error(files, bad)
    assert "bad.npz" in line and repr(member[:-len(".npy")]) in line and "not a .npy array member" in line


def test_score_extra_text_member_is_one_line(files):
    bad = files / "extra.npz"
    bad.write_bytes((files / "pred.npz").read_bytes())
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("notes.txt", b"hello")
    line = score_error(files, bad)
    assert "extra.npz" in line and "'notes.txt'" in line


def test_score_member_declaring_more_than_it_holds_is_refused_before_allocation(files):
    """The header asks for 8 GB; the member holds 64 bytes: refused by size, nothing allocated."""
    bad = rewrite_member(files / "pred.npz", files / "lie.npz", "joints3d_m/s1.npy", "joints3d_m/s1.npy",
                         npy_bytes_declaring("(1000000000,)"))
    line = score_error(files, bad)
    assert "lie.npz" in line and "joints3d_m/s1" in line and "needs 8000000000 bytes" in line


def test_score_object_member_is_one_line(files):
    bad = rewrite_member(files / "pred.npz", files / "obj.npz", "joints3d_m/s0.npy", "joints3d_m/s0.npy",
                         npy_bytes_declaring("(1,)", descr="|O"))
    line = score_error(files, bad)
    assert "obj.npz" in line and "joints3d_m/s0" in line


def test_score_single_npy_and_garbage_are_one_line(files):
    np.save(files / "single.npy", np.zeros((3, 14, 3)))
    assert "is a single .npy array" in score_error(files, files / "single.npy")
    (files / "garbage.npz").write_bytes(b"PK\x03\x04" + b"\xff" * 100)
    assert "garbage.npz" in score_error(files, files / "garbage.npz")


def test_lazy_and_eager_readers_match_numpy(tmp_path):
    arrays = {"a": np.arange(12.0).reshape(3, 4), "fortran": np.asfortranarray(np.arange(6).reshape(2, 3)),
              "text": np.array(["x", "yy"]), "empty": np.zeros((0, 3)), "scalar": np.array(3.5),
              "mask": np.array([True, False]), "big_endian": np.arange(4, dtype=">i4")}
    for name, save in (("plain.npz", np.savez), ("packed.npz", np.savez_compressed)):
        save(tmp_path / name, **arrays)
        eager = load_npz(tmp_path / name)
        with open_npz(tmp_path / name) as lazy:
            assert sorted(lazy.files) == sorted(arrays) and "a" in lazy and "b" not in lazy
            for key, ref in arrays.items():
                for got in (eager[key], lazy[key]):
                    assert got.dtype == ref.dtype and got.shape == ref.shape and np.array_equal(got, ref), key
            assert lazy["fortran"].flags.f_contiguous


def test_npy_reader_checks_the_header_against_the_file(tmp_path):
    np.save(tmp_path / "ok.npy", np.arange(5.0))
    assert np.array_equal(load_npy(tmp_path / "ok.npy"), np.arange(5.0))
    (tmp_path / "lie.npy").write_bytes(npy_bytes_declaring("(17, 6890000)"))
    with pytest.raises(DataFormatError, match=r"lie\.npy.*needs 937040000 bytes, the file holds"):
        load_npy(tmp_path / "lie.npy")
    (tmp_path / "obj.npy").write_bytes(npy_bytes_declaring("(2,)", descr="|O"))
    with pytest.raises(DataFormatError, match=r"obj\.npy"):
        load_npy(tmp_path / "obj.npy")
    (tmp_path / "short.npy").write_bytes(npy_bytes_declaring("(4,)", payload=b"\0" * 8) + b"\0" * 8)
    with pytest.raises(DataFormatError, match=r"short\.npy.*needs 32 bytes"):
        load_npy(tmp_path / "short.npy")


def test_readers_of_shipped_and_user_arrays_use_the_safe_readers(tmp_path):
    from posebench.body_models.skeleton_model import load_params
    from posebench.body_models.smpl import load_h36m_regressor
    from posebench.nn.regressor import load_mean_params

    (tmp_path / "J_regressor_h36m.npy").write_bytes(npy_bytes_declaring("(17, 6890)"))
    with pytest.raises(DataFormatError, match=r"J_regressor_h36m\.npy.*needs"):
        load_h36m_regressor(tmp_path / "J_regressor_h36m.npy")
    mean = tmp_path / "smpl_mean_params.npz"
    np.savez(mean, pose=np.zeros(144), shape=np.zeros(10), cam=np.zeros(3))
    with zipfile.ZipFile(mean, "a") as zf:
        zf.writestr("payload.pkl", b"\x80\x04N.")
    with pytest.raises(DataFormatError, match=r"smpl_mean_params\.npz.*payload\.pkl"):
        load_mean_params(mean)
    skel = tmp_path / "skeleton.npz"
    with zipfile.ZipFile(skel, "w") as zf:
        zf.writestr("rest_offsets_mean_m.npy", npy_bytes_declaring("(24, 3, 1000000)"))
    with pytest.raises(DataFormatError, match=r"skeleton\.npz.*rest_offsets_mean_m.*needs"):
        load_params(skel)


# torch.load stays only in the weights-only reader, MEVA's legacy storages (in memory, each
# weights-only) and the conformance kit (a buffer it wrote itself).
TORCH_LOAD_ALLOWED = {"posebench/training/official_checkpoint.py", "plugins/meva/official.py",
                      "posebench/testing/conformance.py"}


def test_no_direct_array_or_torch_load_of_files_in_the_code():
    """np.load trusts a file's header sizes (safe_npz instead); torch.load goes through
    posebench.training.official_checkpoint.read_torch_file (weights only, one-line errors)."""
    offenders = []
    for folder in ("posebench", "datasets", "plugins"):
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            for number, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#", 1)[0]
                if "``" in code:
                    continue  # docs
                if re.search(r"\b(np|numpy)\.load\(", code) or (re.search(r"\btorch\.load\(", code)
                                                                 and rel not in TORCH_LOAD_ALLOWED):
                    offenders.append(f"{rel}:{number}")
    assert offenders == []
