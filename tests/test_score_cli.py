"""`posebench score`: refuses what it cannot score (units, fps, coverage) in one line; reports
sequences skipped or too short; --units mm."""
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from posebench.cli.main import cli
from posebench.predictions import write_predictions

STANDING_M = np.array([
    [-0.10, 0.00, 0.0], [-0.10, 0.45, 0.0], [-0.10, 0.90, 0.0], [0.10, 0.90, 0.0], [0.10, 0.45, 0.0],
    [0.10, 0.00, 0.0], [-0.45, 1.00, 0.0], [-0.35, 1.20, 0.0], [-0.20, 1.40, 0.0], [0.20, 1.40, 0.0],
    [0.35, 1.20, 0.0], [0.45, 1.00, 0.0], [0.00, 1.50, 0.0], [0.00, 1.75, 0.0]])


def people(rng, lengths):
    return {f"s{i}": STANDING_M + rng.normal(scale=0.02, size=(n, 14, 3)) for i, n in enumerate(lengths)}


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    gt = people(rng, [50, 40, 2])
    write_predictions(tmp_path / "gt.npz", {s: {"joints3d_m": g, "vis2d": np.ones((len(g), 14))}
                                            for s, g in gt.items()}, fps=30)
    pred = {s: g + rng.normal(scale=0.01, size=g.shape) for s, g in gt.items()}
    write_predictions(tmp_path / "pred.npz", {s: {"joints3d_m": p} for s, p in pred.items()}, fps=30)
    return tmp_path, gt, pred


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line_error(result):
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_prediction_in_millimetres_is_refused_with_the_hint(files):
    folder, gt, pred = files
    write_predictions(folder / "pred_mm.npz", {s: {"joints3d_m": p * 1000} for s, p in pred.items()}, fps=30)
    line = one_line_error(run("score", folder / "pred_mm.npz", "--gt", folder / "gt.npz"))
    assert "pred_mm.npz" in line and "'joints3d_m/s0'" in line and "--units mm" in line
    write_predictions(folder / "gt_mm.npz", {s: {"joints3d_m": g * 1000} for s, g in gt.items()}, fps=30)
    line = one_line_error(run("score", folder / "pred.npz", "--gt", folder / "gt_mm.npz"))
    assert "gt_mm.npz" in line and "joints3d_m/s0" in line


def test_units_mm_scores_millimetre_files_like_metre_files(files):
    folder, gt, pred = files
    write_predictions(folder / "pred_mm.npz", {s: {"joints3d_m": p * 1000} for s, p in pred.items()}, fps=30)
    write_predictions(folder / "gt_mm.npz", {s: {"joints3d_m": g * 1000} for s, g in gt.items()}, fps=30)
    metres = run("score", folder / "pred.npz", "--gt", folder / "gt.npz", "--out", folder / "m")
    mm = run("score", folder / "pred_mm.npz", "--gt", folder / "gt_mm.npz", "--units", "mm", "--out", folder / "mm")
    assert metres.exit_code == 0 and mm.exit_code == 0, mm.output
    a, b = (pd.read_csv(folder / d / "summary.csv").set_index("metric")["value"] for d in ("m", "mm"))
    pd.testing.assert_series_equal(a, b, rtol=1e-12)
    assert 5 < a["MPJPE"] < 50  # a plausible millimetre error, not 1000x off
    one_line_error(run("score", folder / "pred.npz", "--gt", folder / "gt.npz", "--units", "mm"))


def test_fps_mismatch_names_file_and_field(files):
    folder, gt, pred = files
    write_predictions(folder / "pred25.npz", {s: {"joints3d_m": p} for s, p in pred.items()}, fps=25)
    line = one_line_error(run("score", folder / "pred25.npz", "--gt", folder / "gt.npz"))
    assert "pred25.npz" in line and "'fps'" in line and "25" in line and "30" in line


def test_coverage_derived_from_the_protocol_or_checked_against_it(files):
    folder, gt, pred = files
    out = run("score", folder / "pred.npz", "--gt", folder / "gt.npz", "--protocol", "vibe-v2", "--out", folder / "v")
    assert out.exit_code == 0, out.output
    per_seq = pd.read_csv(folder / "v" / "per_sequence.csv").set_index("sequence")
    assert per_seq["n_frames_scored"].to_dict() == {"s0": 48, "s1": 32}  # VIBE's 16-frame windows, tails dropped
    assert "skipped 1 sequence(s)" in out.output and "'s2'" in out.output  # 2 frames: no window at all
    covered = {s: {"joints3d_m": p, "covered": np.ones(len(p), bool)} for s, p in pred.items()}
    write_predictions(folder / "pred_cov.npz", covered, fps=30)
    line = one_line_error(run("score", folder / "pred_cov.npz", "--gt", folder / "gt.npz", "--protocol", "vibe-v2"))
    assert "pred_cov.npz" in line and "'covered'" in line and "vibe-v2" in line and "frame 48" in line


def test_summary_line_counts_sequences_too_short_per_metric(files):
    folder, _, _ = files
    out = run("score", folder / "pred.npz", "--gt", folder / "gt.npz", "--protocol", "hmmr-v2")
    assert out.exit_code == 0, out.output
    assert "too short for a metric: acc_err 1, accel 1" in out.output  # s2 has 2 frames: no acceleration term
    assert "3 sequence(s) scored" in out.output


def test_uncovered_filler_frames_do_not_trip_the_unit_check(files):
    folder, gt, pred = files
    data = {s: {"joints3d_m": p, "covered": np.ones(len(p), bool)} for s, p in pred.items()}
    data["s2"] = {"joints3d_m": np.zeros_like(pred["s2"]), "covered": np.zeros(2, bool)}  # eval writes zeros there
    write_predictions(folder / "pred_fill.npz", data, fps=30)
    out = run("score", folder / "pred_fill.npz", "--gt", folder / "gt.npz")
    assert out.exit_code == 0, out.output
    assert "skipped 1 sequence(s)" in out.output and "'s2'" in out.output
