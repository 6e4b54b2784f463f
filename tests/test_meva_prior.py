"""MEVA's motion prior sees motion as the end-to-end model does: camera-convention roots (body up
near -y), real speed variants, every non-test subject but none of the test subjects."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import find_realdata_dir, private_posebench_dirs

from posebench.config import load_config
from posebench.data import augment
from posebench.data.track import MotionClip
from posebench.errors import PosebenchError
from posebench_meva.train_vae import VAETrainConfig, prior_motion
from posebench_meva.vae_data import AugmentConfig, camera_frame_motion, crop_dataset

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def cmu_quick(tmp_path_factory):
    """The CMU benchmark's quick subset, built from the real mocap in a private cache."""
    realdata = find_realdata_dir()
    if realdata is None:
        pytest.skip("shared/realdata not found (set POSEBENCH_REALDATA)")
    base = tmp_path_factory.mktemp("cmu")
    with private_posebench_dirs(base):
        from posebench_datasets.cmu import CmuBenchmark

        ds = CmuBenchmark(subset="quick", mirror=realdata)
        ds.tracks("test")  # builds
        yield ds


def _angle_from_minus_y_deg(up: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(-up[..., 1], -1.0, 1.0)))


def _window_up_angles(clips, augment_cfg: dict, n: int = 200) -> np.ndarray:
    """Body-up angles from -y of every frame of n VAE training windows: (n, 90)."""
    windows = crop_dataset(clips, AugmentConfig.from_dict(augment_cfg), 90, 3, seed=0, source="test")
    idx = np.random.default_rng(0).integers(0, len(windows), n)
    return np.stack([_angle_from_minus_y_deg(augment.body_up_direction(windows[int(i)].numpy())) for i in idx])


def test_vae_windows_and_end_to_end_gt_share_the_camera_convention(cmu_quick):
    gt = np.concatenate([_angle_from_minus_y_deg(augment.body_up_direction(c.pose_rotmat))
                         for c in camera_frame_motion(cmu_quick, "test")])
    assert (gt < 45).mean() >= 0.9
    motion = prior_motion(cmu_quick, VAETrainConfig()).train
    shipped = _window_up_angles(motion, load_config("meva/cpu")["vae"]["augment"])
    assert (shipped < 45).mean() >= 0.9
    # MEVA's own range (pitch 180-240 deg): first frames exactly 0-60 deg from -y, uniformly.
    official = _window_up_angles(motion, {})
    assert official[:, 0].max() < 60 + 1e-6 and 0.6 < (official[:, 0] < 45).mean() < 0.9
    assert (official < 75).mean() >= 0.9
    # Without the root rule the clips stay in their Y-up world: body up is +y, never near -y.
    world = _window_up_angles(motion, {"root_rotation": False})
    assert (world < 45).mean() == 0.0


def test_prior_never_sees_the_test_subjects(cmu_quick):
    motion = prior_motion(cmu_quick, VAETrainConfig())
    test_subjects = {c.subject for c in cmu_quick.motion("test")}
    assert test_subjects and motion.test_subjects == test_subjects
    assert not {c.subject for c in motion.train} & test_subjects
    assert not {c.subject for c in motion.train} & motion.select_subjects
    with pytest.raises(PosebenchError, match="test split"):
        VAETrainConfig.from_dict({"train_splits": ["train", "test"]})


class _Subjects:
    """Motion-only dataset: 3 subjects in train, 4 in val, 2 in test, one 100-frame clip each."""

    name = "subjects"

    def __init__(self):
        rng = np.random.default_rng(0)
        self._clips = {split: [MotionClip(f"{split}{i}", 30.0, np.tile(np.eye(3), (100, 24, 1, 1)),
                                          rng.normal(size=(100, 3)), subject=f"{split}{i}") for i in range(n)]
                       for split, n in (("train", 3), ("val", 4), ("test", 2))}

    def splits(self):
        return tuple(self._clips)

    def tracks(self, split):
        return []

    def motion(self, split):
        return self._clips[split]


def test_prior_uses_train_and_val_and_holds_out_every_second_val_subject():
    motion = prior_motion(_Subjects(), VAETrainConfig(extra_motion=()))
    assert sorted(c.subject for c in motion.train) == ["train0", "train1", "train2", "val1", "val3"]
    assert motion.select_subjects == {"val0", "val2"} and motion.test_subjects == {"test0", "test1"}
    assert motion.sources == {"subjects/train": {"clips": 3, "frames": 300}, "subjects/val": {"clips": 2, "frames": 200}}
    # Selection motion of a dataset without tracks: the held-out clips under MEVA's root rule.
    select = camera_frame_motion(_Subjects(), "val", motion.select_subjects)
    assert [c.subject for c in select] == ["val0", "val2"]
    assert (_angle_from_minus_y_deg(augment.body_up_direction(np.stack([c.pose_rotmat for c in select]))) <= 60).all()
