"""The CMU benchmark: trial list and split, quick-subset build, GT geometry, cache, figure."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import find_realdata_dir, private_posebench_dirs

from posebench.data.fetch import sha256_file
from posebench.data.track import PoseDataset
from posebench.errors import PosebenchError
from posebench_datasets import cmu_observations as obs
from posebench_datasets.cmu_trials import QUICK_TRIALS, SPLITS, TRIALS, trials_for


REALDATA = find_realdata_dir()
needs_realdata = pytest.mark.skipif(REALDATA is None, reason="shared/realdata not found (set POSEBENCH_REALDATA)")


# -- the definition ---------------------------------------------------------------------------
def test_split_is_by_subject_and_disjoint():
    sets = {k: set(v) for k, v in SPLITS.items()}
    assert not (sets["train"] & sets["val"]) and not (sets["train"] & sets["test"]) and not (sets["val"] & sets["test"])
    assert {t.subject for t in TRIALS} == set().union(*sets.values())
    ids = [t.trial for t in TRIALS]
    assert len(ids) == len(set(ids)) == 119  # each CMU trial once
    for split, trials in QUICK_TRIALS.items():
        assert {t.split("_")[0] for t in trials} <= sets[split]
        assert [t.trial for t in trials_for(split, "quick")] == sorted(trials)
    frames = {s: sum(t.frames_30fps for t in trials_for(s)) for s in SPLITS}
    total = sum(frames.values())
    assert 0.12 < frames["test"] / total < 0.18 and 0.07 < frames["val"] / total < 0.13
    assert not any("tmoco" in t.file.relpath or t.file.relpath.endswith(".npy") for t in TRIALS)
    assert all(t.file.urls[0].startswith("https://raw.githubusercontent.com/") for t in TRIALS)


@needs_realdata
def test_committed_hashes_match_the_mirror():
    from posebench_datasets.cmu import all_specs

    for spec in all_specs():
        path = REALDATA / spec.relpath
        assert path.stat().st_size == spec.size, spec.relpath
        assert sha256_file(path) == spec.sha256, spec.relpath


# -- the quick build --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if REALDATA is None:
        pytest.skip("shared/realdata not found (set POSEBENCH_REALDATA)")
    base = tmp_path_factory.mktemp("cmu")
    with private_posebench_dirs(base):
        yield base


@pytest.fixture(scope="module")
def quick(env):
    from posebench_datasets.cmu import CmuBenchmark

    ds = CmuBenchmark(subset="quick", mirror=REALDATA)
    ds.tracks("test")  # builds
    return ds


def test_quick_build_shapes_and_contract(quick):
    assert isinstance(quick, PoseDataset)
    assert quick.fps == 30.0 and quick.kp2d_joint_set == "lsp14" and quick.splits() == ("train", "val", "test")
    assert not quick.loaded_from_cache and quick.last_build_seconds < 20.0
    for split in quick.splits():
        tracks = quick.tracks(split)
        assert len(tracks) == 2 * len(QUICK_TRIALS[split])
        for tr in tracks:
            T = len(tr)
            assert tr.features.shape == (T, obs.FEATURE_DIM) and tr.features.dtype == np.float32
            assert tr.kp2d.shape == (T, 14, 3) and tr.joints3d_m.shape == (T, 14, 3)
            assert tr.joints24_m.shape == (T, 24, 3) and tr.pose_rotmat.shape == (T, 24, 3, 3)
            assert tr.betas.shape == (T, 10) and tr.valid.all() and tr.fps == 30.0
            assert tr.meta["subject"] in SPLITS[split] and tr.meta["gt_kp2d"].shape == (T, 14, 3)
            assert np.isfinite(tr.features).all()
    summary = quick.summary()
    assert summary.loc["test", "subjects"] == 1 and summary.loc["train", "subjects"] == 2
    assert summary.loc["train", "tracks"] == 6
    assert summary["frames"].sum() == sum(len(t) for s in SPLITS for t in quick.tracks(s))


def test_ground_truth_geometry(quick):
    from posebench.body_models import get_body_model

    body = get_body_model("skeleton")
    for tr in quick.tracks("val"):
        cam = obs.Camera.from_dict(tr.meta["camera"])
        # the body model re-poses the camera-frame GT from pose_rotmat (root in camera frame)
        with torch.no_grad():
            out = body(torch.as_tensor(tr.betas, dtype=torch.float64), torch.as_tensor(tr.pose_rotmat, dtype=torch.float64),
                       torch.as_tensor(tr.meta["transl_cam_m"], dtype=torch.float64))
        np.testing.assert_allclose(out.joints24_m.numpy(), tr.joints24_m, atol=1e-4)
        np.testing.assert_allclose(out.lsp14_m.numpy(), tr.joints3d_m, atol=1e-4)
        # the subject stands in front of the camera, upright: head above the ankles in the image
        assert (tr.joints3d_m[..., 2] > 1.0).all()
        gt = tr.meta["gt_kp2d_px"]
        assert (gt[..., 2] > 0).mean() > 0.9  # mostly in view
        np.testing.assert_allclose(gt[..., :2][gt[..., 2] > 0], cam.project(tr.joints3d_m)[gt[..., 2] > 0], atol=1e-2)
        assert np.median(gt[:, 13, 1] - gt[:, 0, 1]) < 0
        # noisy keypoints are near the truth, in normalised crop units
        kp, gtn = tr.kp2d, tr.meta["gt_kp2d"]
        both = (kp[..., 2] > 0) & (gtn[..., 2] > 0) & ~tr.meta["outlier"] & ~tr.meta["swapped"][:, None]
        assert 0.01 < np.median(np.abs(kp[..., :2] - gtn[..., :2])[both]) < 0.2
        assert np.abs(gtn[..., :2][gtn[..., 2] > 0]).max() < 1.5


def test_motion_clips(quick):
    clips = quick.motion("train")
    tracks = quick.tracks("train")
    assert [c.name for c in clips] == list(QUICK_TRIALS["train"])
    for c in clips:
        assert c.fps == 30.0 and c.pose_rotmat.shape == (len(c), 24, 3, 3) and c.transl_m.shape == (len(c), 3)
        assert c.betas.shape == (10,) and c.subject == c.name.split("_")[0]
        same = [t for t in tracks if t.meta["trial"] == c.name]
        assert len(same) == 2 and all(len(t) == len(c) for t in same)
        # the world motion and the camera-frame GT share the local (non-root) rotations
        np.testing.assert_allclose(same[0].pose_rotmat[:, 1:], c.pose_rotmat[:, 1:])


def test_cache_reuse_and_determinism(quick, env, tmp_path):
    from posebench_datasets.cmu import CmuBenchmark

    # a second instance loads the cache, and needs no raw files for it
    again = CmuBenchmark(tmp_path / "empty_root", subset="quick")
    again.tracks("train")
    assert again.loaded_from_cache and again.cache_path() == quick.cache_path()
    for a, b in zip(quick.tracks("test"), again.tracks("test")):
        np.testing.assert_array_equal(a.features, b.features)
        np.testing.assert_array_equal(a.joints3d_m, b.joints3d_m)
    # another seed is another build: without raw files it says how to fetch them
    other = CmuBenchmark(tmp_path / "empty_root", subset="quick", seed=1)
    assert other.cache_path() != quick.cache_path()
    with pytest.raises(PosebenchError, match="posebench data fetch cmu"):
        other.tracks("test")
    status = other.status()
    assert not status.ready and status.licence.startswith("CMU Graphics Lab")
    assert quick.status().ready


def test_seeded_observations_on_a_real_clip(quick):
    """Same seed -> identical cameras and noise; another seed -> another camera; severity 0 -> exact."""
    from posebench_datasets.cmu import observe

    data = quick._load()
    a, b = data["trial_offsets"][0], data["trial_offsets"][1]
    joints24, lsp14 = data["joints24_world_m"][a:b], data["lsp14_world_m"][a:b]

    def view(seed, severity=1.0):
        rng = np.random.default_rng(seed)
        cam = obs.sample_camera(rng, joints24, severity)
        return cam, observe(cam, lsp14, rng, severity)

    c1, v1 = view(7)
    c2, v2 = view(7)
    c3, _ = view(8)
    assert np.array_equal(c1.R, c2.R) and np.array_equal(v1["kp2d_px"], v2["kp2d_px"])
    assert not np.allclose(c1.R, c3.R)
    _, v0 = view(7, severity=0.0)
    seen = v0["gt_kp2d_px"][..., 2] > 0
    np.testing.assert_allclose(v0["kp2d_px"][..., :2][seen], v0["gt_kp2d_px"][..., :2][seen], atol=1e-3)
    assert np.array_equal(v0["kp2d_px"][..., 2] > 0, seen)


def test_figure_is_a_png(quick, tmp_path):
    from posebench_datasets.cmu_figure import show

    out = show(tmp_path / "fig.png", subset="quick")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    img = matplotlib.image.imread(out)
    assert img.shape[0] > 200 and img.shape[1] > 600 and img.std() > 0.01
