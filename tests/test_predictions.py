"""posebench.predictions: the documented .npz layout, round trip and errors naming file + key."""
import numpy as np
import pytest

from posebench.errors import DataFormatError
from posebench.metrics.protocols import BUILTIN_PROTOCOLS
from posebench.metrics.scoring import SequencePrediction, score
from posebench.predictions import read_predictions, write_predictions


def sample(rng, n):
    return rng.normal(scale=0.3, size=(n, 14, 3))


def test_round_trip_and_score(tmp_path):
    rng = np.random.default_rng(0)
    gt = {"courtyard_0": {"joints3d_m": sample(rng, 30), "valid": np.ones(30, bool), "vis2d": np.ones((30, 14))},
          "a/b": {"joints3d_m": sample(rng, 12)}}
    pred = {"courtyard_0": SequencePrediction(gt["courtyard_0"]["joints3d_m"] + 0.01, covered=np.ones(30, bool)),
            "a/b": {"joints3d_m": gt["a/b"]["joints3d_m"] + 0.01}}
    write_predictions(tmp_path / "gt.npz", gt, fps=30)
    write_predictions(tmp_path / "pred.npz", pred, fps=30)
    g, gmeta = read_predictions(tmp_path / "gt.npz")
    p, pmeta = read_predictions(tmp_path / "pred.npz")
    assert gmeta["fps"] == 30.0 and gmeta["joint_set"] == "lsp14"
    assert list(g) == ["courtyard_0", "a/b"] and set(g["courtyard_0"]) == {"joints3d_m", "valid", "vis2d"}
    np.testing.assert_array_equal(p["a/b"]["joints3d_m"], pred["a/b"]["joints3d_m"])
    r = score(p, g, BUILTIN_PROTOCOLS[0])
    assert r.summary["mpjpe"] == pytest.approx(0.0, abs=1e-9)  # a pure translation
    assert not list(tmp_path.glob(".*tmp"))  # atomic write left no temporary behind


def write_raw(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


BASE = {"sequences": np.array(["s"]), "fps": np.array(30.0), "joint_set": np.array("lsp14"),
        "joints3d_m/s": np.zeros((4, 14, 3))}


@pytest.mark.parametrize("change, field, match", [
    ({"sequences": None}, "sequences", "missing the list"),
    ({"joints3d_m/t": np.zeros((4, 14, 3))}, "joints3d_m/t", "not listed"),
    ({"poses/s": np.zeros((4, 72))}, "poses/s", "unknown key"),
    ({"joints3d_m/s": np.zeros((4, 17, 3))}, "joints3d_m/s", r"expected float \(N, 14, 3\)"),
    ({"valid/s": np.ones(3, bool)}, "valid/s", "to match 4 frames"),
    ({"fps": np.array(-1.0)}, "fps", "positive"),
    ({"joint_set": np.array("h36m17")}, "joint_set", "must be one of"),
    ({"sequences": np.array(["s", "u"])}, "joints3d_m/u", "no joints"),
])
def test_bad_files_name_file_and_key(tmp_path, change, field, match):
    arrays = {**BASE, **change}
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path = write_raw(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataFormatError, match=match) as info:
        read_predictions(path)
    assert str(path) in str(info.value) and repr(field) in str(info.value)


def test_mixed_prediction_and_gt_fields(tmp_path):
    path = write_raw(tmp_path / "m.npz", **BASE, **{"valid/s": np.ones(4, bool), "covered/s": np.ones(4, bool)})
    with pytest.raises(DataFormatError, match="not both"):
        read_predictions(path)


def test_truncated_and_corrupt_files(tmp_path):
    good = write_predictions(tmp_path / "good.npz", {"s": {"joints3d_m": np.zeros((400, 14, 3))}}, fps=25)
    data = good.read_bytes()
    truncated = tmp_path / "trunc.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match="trunc.npz"):
        read_predictions(truncated)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip at all" * 10)
    with pytest.raises(DataFormatError, match="garbage.npz"):
        read_predictions(garbage)
    with pytest.raises(DataFormatError, match="no such file"):
        read_predictions(tmp_path / "absent.npz")


def test_pickled_objects_refused(tmp_path):
    path = write_raw(tmp_path / "obj.npz", **BASE, **{"vertices_m/s": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(DataFormatError, match="vertices_m/s"):
        read_predictions(path)


def test_write_validates_before_writing(tmp_path):
    with pytest.raises(DataFormatError, match="joints3d_m/s"):
        write_predictions(tmp_path / "x.npz", {"s": {"joints3d_m": np.zeros((4, 3))}}, fps=30)
    assert not (tmp_path / "x.npz").exists()
