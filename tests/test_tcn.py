"""The TCN lifter (plugins/tcn): contract, exact receptive field, causal padding, flip augmentation,
and `posebench train tcn` + `posebench eval --models tcn,mlp+savgol` end to end on real data."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from posebench.config import load_config
from posebench.data.observations import FEATURE_DIM, feature_mirror, observe_keypoints
from posebench.errors import PosebenchError
from posebench.models.base import WindowBatch
from posebench.registry import build_model
from posebench.skeleton import LSP14_FLIP_PERM, flip_joints
from posebench.testing import check_model_plugin


def tcn(**model) -> torch.nn.Module:
    cfg = {"receptive_field": 27, "channels": 32, "window": 96, "flip_train": False, "flip_test": False, **model}
    m = build_model("tcn", {"model": cfg, "input_dim": FEATURE_DIM}).eval()
    torch.manual_seed(0)
    for bn in [x for x in m.modules() if isinstance(x, torch.nn.BatchNorm1d)]:  # non-trivial running stats
        bn.running_mean.normal_(0, 0.1)
        bn.running_var.uniform_(0.5, 1.5)
    return m


def lift(model, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(WindowBatch(features=x, fps=30.0)).joints_lsp14_m[0]


def changed_frames(model, frame: int, n: int = 96) -> np.ndarray:
    """Output frames whose prediction moves when input frame ``frame`` is perturbed."""
    x = torch.randn(1, n, FEATURE_DIM, generator=torch.Generator().manual_seed(1))
    y = x.clone()
    y[0, frame] += 3.0
    diff = (lift(model, x) - lift(model, y)).abs().amax(dim=(-1, -2))
    return np.flatnonzero(diff.numpy() > 0)


def test_registered_and_listed_with_mlp():
    from posebench.cli.main import cli

    out = CliRunner().invoke(cli, ["models"], catch_exceptions=False).output
    assert "| tcn " in out and "| mlp " in out and "joints" in out


@pytest.mark.parametrize("config,overrides", [("tcn/test", {}), ("tcn/test", {"causal": True}),
                                              ("tcn/quick", {"receptive_field": 81, "channels": 8})])
def test_contract_conformance(config, overrides, single_thread):
    cfg = load_config(config)
    cfg["model"].update(overrides)
    model = check_model_plugin("tcn", cfg=cfg, feature_dim=FEATURE_DIM)
    assert model.outputs == "joints" and model.window == cfg["model"]["window"]


@pytest.mark.parametrize("rf", [27, 81])
@pytest.mark.parametrize("flip_test", [False, True])
def test_receptive_field_is_exactly_as_configured(rf, flip_test, single_thread):
    n = rf + 70
    model = tcn(receptive_field=rf, flip_test=flip_test, window=n)
    half = (rf - 1) // 2
    frame = n // 2
    # Perturbing frame f moves exactly the outputs within half the receptive field of it.
    assert changed_frames(model, frame, n).tolist() == list(range(frame - half, frame + half + 1))


def test_causal_padding_never_uses_future_frames(single_thread):
    model = tcn(causal=True, receptive_field=27)
    for frame in (0, 30, 95):
        moved = changed_frames(model, frame)
        # Frame f reaches outputs f .. f + 26 (clipped to the window) and no earlier one.
        assert moved.tolist() == list(range(frame, min(frame + 27, 96)))


def test_flip_test_prediction_is_mirror_symmetric(single_thread):
    model = tcn(flip_test=True)
    x = torch.randn(1, 96, FEATURE_DIM, generator=torch.Generator().manual_seed(3))
    perm, sign, offset = (torch.as_tensor(a) for a in feature_mirror())
    mirrored = x[..., perm] * sign + offset
    np.testing.assert_allclose(lift(model, mirrored).numpy(), flip_joints(lift(model, x), LSP14_FLIP_PERM).numpy(),
                               atol=1e-5)


def test_feature_mirror_is_the_features_of_the_mirrored_image():
    rng = np.random.default_rng(0)
    width, height = 640, 480
    n = 200
    t = np.arange(n)[:, None]
    kp = np.zeros((n, 14, 3), np.float32)
    kp[..., 0] = 300 + 60 * rng.normal(size=(1, 14)) + 20 * np.sin(t / 5)
    kp[..., 1] = 240 + 80 * rng.normal(size=(1, 14)) + 10 * np.cos(t / 7)
    kp[..., 2] = 1.0
    kp[100, 3, 2] = 0.0  # a missing joint
    kp[100, 3, :2] = 0.0
    mirrored_kp = kp[:, list(LSP14_FLIP_PERM)].copy()
    seen = mirrored_kp[..., 2] > 0
    mirrored_kp[..., 0] = np.where(seen, width - mirrored_kp[..., 0], 0.0)
    feats = observe_keypoints(kp, (width, height)).features
    want = observe_keypoints(mirrored_kp, (width, height)).features
    perm, sign, offset = feature_mirror()
    # VIBE's box smoothing zero-pads the track ends (medfilt), which no mirror can undo: compare
    # the frames beyond the reach of the ends (median 5 + Gaussian 4 sigma = 37 frames).
    inner = slice(40, n - 40)
    np.testing.assert_allclose((feats[:, perm] * sign + offset)[inner], want[inner], atol=1e-4)


def test_flip_train_mirrors_half_the_windows_and_still_learns(single_thread):
    from posebench.testing import synthetic_window_batch

    model = tcn(flip_train=True, window=32).train()
    batch = synthetic_window_batch(8, 32, FEATURE_DIM, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        out = model(batch)
        loss = model.training_losses(batch, out)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.7 * losses[0]


def test_bad_configs_are_refused():
    with pytest.raises(PosebenchError, match="receptive_field must be one of"):
        build_model("tcn", {"model": {"receptive_field": 30}, "input_dim": FEATURE_DIM})
    with pytest.raises(PosebenchError, match="flip"):
        build_model("tcn", {"model": {"flip_test": True}, "input_dim": 2048})
    with pytest.raises(PosebenchError, match="unknown keys"):
        build_model("tcn", {"model": {"dilations": [3]}, "input_dim": FEATURE_DIM})


@pytest.mark.realdata
@pytest.mark.slow
def test_train_tcn_and_mlp_then_eval_with_a_filter_end_to_end(realdata_dir, tmp_path, monkeypatch, single_thread):
    from posebench.cli.main import cli

    monkeypatch.setenv("POSEBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("POSEBENCH_DATA", str(tmp_path / "data"))

    def run(*args):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("data", "fetch", "cmu-quick", "--mirror", str(realdata_dir))
    for model in ("tcn", "mlp"):
        assert "best checkpoint" in run("train", model, "--dataset", "cmu-quick", "--config", "test", "--device", "cpu")
    out = tmp_path / "results"
    table = run("eval", "--models", "tcn,mlp+savgol", "--dataset", "cmu-quick", "--config", "test", "--device", "cpu",
                "--cfg-options", "filters.savgol.window=7", "--out", str(out))
    assert "| tcn " in table and "| mlp+savgol " in table
    results = json.loads((out / "results.json").read_text())
    assert results["filters"]["mlp+savgol"]["filters"][0] == {"filter": "savgol", "params": {"window": 7, "order": 2},
                                                             "plugin": "posebench"}
    assert "pve" in results["notes"]["tcn"]  # joints-only: no mesh metric
    rows = {(r["model"], r["metric"]): r["value"] for r in results["summary"]}
    assert all(np.isfinite(rows[(m, "MPJPE")]) and rows[(m, "MPJPE")] > 0 for m in ("tcn", "mlp+savgol"))
