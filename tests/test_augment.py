"""posebench.data.augment: every augmentation keeps a valid body and undoes cleanly."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation as ScipyRotation

from posebench.data import augment as aug
from posebench.data.track import MotionClip
from posebench.errors import ShapeError
from posebench.skeleton import SMPL_FLIP_PERM, SMPL_PARENTS, flip_joints, forward_kinematics

T = 41


@pytest.fixture(scope="module")
def offsets():
    rng = np.random.default_rng(5)
    off = rng.normal(scale=0.12, size=(24, 3))
    off[0] = [0.003, 0.92, 0.01]  # pelvis rest position: ~ hip height
    return off


def _clip(seed=0, fps=30.0):
    """A smooth random motion: per-joint axis-angle drifting linearly, root walking forward."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None, None]
    aa = rng.normal(scale=0.4, size=(1, 24, 3)) + 0.01 * t * rng.normal(size=(1, 24, 3))
    R = ScipyRotation.from_rotvec(aa.reshape(-1, 3)).as_matrix().reshape(T, 24, 3, 3)
    s = np.arange(T) / fps
    transl = np.stack([0.1 * np.sin(s), 0.02 * np.cos(3 * s), 1.2 * s], -1)
    return MotionClip(name=f"clip{seed}", fps=fps, pose_rotmat=R, transl_m=transl, betas=np.zeros(10))


def _bone_lengths(joints):
    pairs = [(j, p) for j, p in enumerate(SMPL_PARENTS) if p >= 0]
    return np.stack([np.linalg.norm(joints[:, j] - joints[:, p], axis=-1) for j, p in pairs], -1)


def _fk(clip, offsets):
    joints, _ = forward_kinematics(clip.pose_rotmat, offsets, clip.transl_m)
    return joints


def _assert_same_clip(a, b, atol=1e-10):
    assert a.pose_rotmat.shape == b.pose_rotmat.shape
    np.testing.assert_allclose(a.pose_rotmat, b.pose_rotmat, atol=atol)
    np.testing.assert_allclose(a.transl_m, b.transl_m, atol=atol)


def test_flip_twice_is_identity():
    clip = _clip()
    once = aug.flip_left_right(clip)
    assert np.abs(once.pose_rotmat - clip.pose_rotmat).max() > 0.1
    _assert_same_clip(aug.flip_left_right(once), clip, atol=0)
    assert once.meta["augmentations"] == ["flip"] and "augmentations" not in clip.meta


def test_flip_mirrors_fk_joints(offsets):
    clip = _clip(1)
    mirrored_offsets = flip_joints(offsets, SMPL_FLIP_PERM)
    flipped = aug.flip_left_right(clip)
    joints_flipped, _ = forward_kinematics(flipped.pose_rotmat, mirrored_offsets, flipped.transl_m)
    np.testing.assert_allclose(joints_flipped, flip_joints(_fk(clip, offsets), SMPL_FLIP_PERM), atol=1e-12)


def test_every_augmentation_keeps_bone_lengths(offsets):
    clip = _clip(2)
    expected = np.linalg.norm(offsets[1:], axis=-1)
    rng = np.random.default_rng(0)
    variants = [
        aug.flip_left_right(clip),
        aug.change_speed(clip, 2.0),
        aug.change_speed(clip, 0.37),
        aug.random_root_rotation(clip, rng),
        aug.random_root_rotation(clip, rng, max_tilt_rad=0.3),
        aug.reverse_time(clip),
        *aug.meva_speed_variants(_clip(2, fps=120.0)),
        *aug.speed_variants(clip),
        aug.camera_root_orientation(clip, rng),
        aug.z_up_to_y_up(clip),
    ]
    for v in variants:
        lengths = _bone_lengths(_fk(v, offsets))
        np.testing.assert_allclose(
            lengths, np.broadcast_to(expected, lengths.shape), atol=1e-10, err_msg=v.meta["augmentations"][-1]
        )


def test_change_speed_samples_the_right_times():
    clip = _clip(3)
    fast = aug.change_speed(clip, 2.0)
    assert len(fast) == 21 and fast.fps == clip.fps
    np.testing.assert_allclose(fast.pose_rotmat, clip.pose_rotmat[::2], atol=1e-10)
    np.testing.assert_allclose(fast.transl_m, clip.transl_m[::2], atol=1e-12)


def test_speed_change_round_trips():
    clip = _clip(4)
    # Slow down then speed up: the original frames are sampled again exactly.
    _assert_same_clip(aug.change_speed(aug.change_speed(clip, 0.5), 2.0), clip)
    # Speed up then slow down: frames in between are interpolated from a smooth motion.
    back = aug.change_speed(aug.change_speed(clip, 2.0), 0.5)
    assert len(back) == len(clip)
    np.testing.assert_allclose(back.pose_rotmat, clip.pose_rotmat, atol=2e-3)
    np.testing.assert_allclose(back.transl_m, clip.transl_m, atol=2e-3)
    with pytest.raises(ShapeError, match="clip4"):
        aug.change_speed(clip, 0.0)


def test_meva_speed_variants_follow_skip_rule():
    variants = aug.meva_speed_variants(_clip(5, fps=120.0))
    assert [v.meta["skip"] for v in variants] == [6, 4, 3]
    assert [v.meta["speed_factor"] for v in variants] == [1.5, 1.0, 0.75]
    assert all(v.fps == 30.0 for v in variants)
    clip = _clip(5, fps=120.0)
    np.testing.assert_array_equal(variants[2].pose_rotmat, clip.pose_rotmat[::3])
    assert len(variants[0]) == len(range(0, T, 6))
    # Duplicate skips are dropped; skip never falls below 1.
    assert [v.meta["skip"] for v in aug.meva_speed_variants(_clip(5, fps=50.0))] == [2, 1]
    assert [v.meta["skip"] for v in aug.meva_speed_variants(_clip(5, fps=30.0))] == [1]


def test_random_root_rotation_keeps_height_and_distances(offsets):
    clip = _clip(6)
    rng = np.random.default_rng(42)
    rotated = aug.random_root_rotation(clip, rng)
    j0, j1 = _fk(clip, offsets), _fk(rotated, offsets)
    np.testing.assert_allclose(j1[:, 0, 1], j0[:, 0, 1], atol=1e-12)  # root height
    d0 = np.linalg.norm(j0[:, :, None] - j0[:, None], axis=-1)
    d1 = np.linalg.norm(j1[:, :, None] - j1[:, None], axis=-1)
    np.testing.assert_allclose(d1, d0, atol=1e-10)
    assert np.abs(j1 - j0).max() > 1e-3  # it did rotate
    R = rotated.meta["root_rotation"]
    np.testing.assert_allclose(R[1], [0.0, 1.0, 0.0], atol=1e-12)  # pure yaw
    # Same seed, same rotation.
    again = aug.random_root_rotation(clip, np.random.default_rng(42))
    np.testing.assert_array_equal(again.pose_rotmat, rotated.pose_rotmat)
    # Tilt moves the up axis by at most max_tilt.
    tilted = aug.random_root_rotation(clip, rng, max_tilt_rad=0.2)
    up = tilted.meta["root_rotation"] @ np.array([0.0, 1.0, 0.0])
    assert 0.0 <= np.arccos(np.clip(up[1], -1, 1)) <= 0.2 + 1e-12


def test_reverse_twice_is_identity():
    clip = _clip(7)
    rev = aug.reverse_time(clip)
    np.testing.assert_array_equal(rev.pose_rotmat[0], clip.pose_rotmat[-1])
    _assert_same_clip(aug.reverse_time(rev), clip, atol=0)


def test_array_functions_match_clip_functions():
    clip = _clip(8)
    pose, transl = aug.flip_left_right_arrays(clip.pose_rotmat, clip.transl_m)
    _assert_same_clip(aug.flip_left_right(clip), MotionClip("x", 30.0, pose, transl), atol=0)
    with pytest.raises(ShapeError, match="bad.*pose_rotmat"):
        aug.flip_left_right(MotionClip("bad", 30.0, np.zeros((4, 22, 3, 3)), np.zeros((4, 3))))


def _mean_joint_speed(clip, offsets):
    """Mean joint speed in m/s over the clip (frame displacements x fps), root translation included."""
    joints = _fk(clip, offsets)
    return np.linalg.norm(np.diff(joints, axis=0), axis=-1).mean() * clip.fps


def test_speed_variants_change_joint_speed_by_their_factors(offsets):
    clip = _clip(9)
    variants = aug.speed_variants(clip, (0.75, 1.0, 1.5))
    assert [v.meta["speed_factor"] for v in variants] == [0.75, 1.0, 1.5]
    assert all(v.fps == clip.fps for v in variants)
    assert [len(v) for v in variants] == [54, 41, 27]  # floor((41 - 1) / factor) + 1
    base = _mean_joint_speed(variants[1], offsets)
    ratios = [_mean_joint_speed(v, offsets) / base for v in variants]
    np.testing.assert_allclose(ratios, [0.75, 1.0, 1.5], rtol=0.02)
    _assert_same_clip(variants[1], clip, atol=0)  # 1x is the clip itself


def test_camera_root_orientation_sets_the_first_root_and_keeps_the_motion(offsets):
    clip = _clip(10)
    rng = np.random.default_rng(3)
    out = aug.camera_root_orientation(clip, rng)
    pitch, yaw = out.meta["root_pitch"], out.meta["root_yaw"]
    assert np.pi <= pitch < 4 * np.pi / 3 and 0 <= yaw < 2 * np.pi
    np.testing.assert_allclose(out.pose_rotmat[0, 0], aug.rotation_x(pitch) @ aug.rotation_y(yaw), atol=1e-12)
    # The first frame's body up is the rest up (+Y) pitched by `pitch`: (pitch - pi) away from -y.
    up = aug.body_up_direction(out.pose_rotmat)
    np.testing.assert_allclose(np.arccos(-up[0, 1]), pitch - np.pi, atol=1e-9)
    # One rigid rotation for the whole clip: relative root motion and joint distances are kept.
    Q = out.meta["root_rotation"]
    np.testing.assert_allclose(out.pose_rotmat[:, 0], Q @ clip.pose_rotmat[:, 0], atol=1e-12)
    np.testing.assert_allclose(out.pose_rotmat[:, 1:], clip.pose_rotmat[:, 1:], atol=0)
    j0, j1 = _fk(clip, offsets), _fk(out, offsets)
    d0 = np.linalg.norm(j0[:, :, None] - j0[:, None], axis=-1)
    np.testing.assert_allclose(np.linalg.norm(j1[:, :, None] - j1[:, None], axis=-1), d0, atol=1e-10)
    # A narrower pitch range is honoured.
    narrow = aug.camera_root_orientation(clip, rng, pitch_range_rad=(np.pi, np.pi))
    np.testing.assert_allclose(aug.body_up_direction(narrow.pose_rotmat)[0], [0, -1, 0], atol=1e-12)


def test_z_up_to_y_up_stands_a_z_up_body_upright():
    # A body standing in a Z-up world: its root maps the rest up (+Y) to +Z.
    standing_z_up = ScipyRotation.from_euler("x", 90, degrees=True).as_matrix()
    pose = np.tile(np.eye(3), (5, 24, 1, 1))
    pose[:, 0] = standing_z_up
    transl = np.tile([0.3, 0.2, 0.9], (5, 1))  # 0.9 m above a Z-up floor
    out = aug.z_up_to_y_up(MotionClip("amass", 30.0, pose, transl))
    np.testing.assert_allclose(aug.body_up_direction(out.pose_rotmat), np.tile([0, 1, 0], (5, 1)), atol=1e-12)
    np.testing.assert_allclose(out.transl_m[:, 1], 0.9, atol=1e-12)  # the height is now y
