"""Motion-capture skeletons (any naming scheme) -> SMPL-24 local rotations + root translation.

Method (exact by construction, checked by the tests to < 1 cm on every clip):

1. The source is posed with its own kinematics: world positions ``pos`` (T, J, 3) in metres and
   world rotations ``W`` (T, J, 3, 3) relative to the source's rest pose (identity at rest).
   All staged sources are +Y up, facing +Z, subject's left at +x, like SMPL: no axis change.
2. Each SMPL joint j gets a *position* (a source joint/end point, see the maps below) and a
   *driving* source frame d(j). Maps are chosen so that for every SMPL bone p -> c the vector
   pos(c) - pos(p) is fixed in d(p)'s frame (joints in between have zero offset or no motion);
   that is what makes forward kinematics reproduce the mapped positions.
3. Rest offsets: v_c = mean_t W_d(p)^T (pos(c) - pos(p)) (source rest frame), rotated to a
   T-pose by B_p (the smallest rotation taking the limb's rest direction to SMPL's: legs -Y,
   arms +-X; identity for the trunk, head, collars, feet and hands, whose source rest is already
   upright and facing +Z): ``rest_offsets_m[c] = B_p v_c``.
4. SMPL global rotation G_j = W_d(j) B_j^T, local = G_parent^T G_j; translation = pelvis position.

SMPL joint maps per scheme (position [driving frame]); where SMPL has more joints than the
source, a joint shares its parent's position (zero-length bone) or is a point fixed in a source
frame, as noted:

CMU skeleton (ASF/AMC, amc2bvh "CMU ASF names", cgspeed MotionBuilder and 3dsMax are renamings
of it): pelvis root [root]; hips femur [femur]; knees tibia [tibia]; ankles foot [foot]; feet
toes [toes]; spine1 lowerback (= root position, zero length) [lowerback]; spine2 upperback
[upperback]; spine3 thorax [thorax]; neck lowerneck (= thorax end) [lowerneck]; head upperneck
(mid neck: the head bone's own start is not fixed in any single frame) [upperneck]; collars
clavicle (= thorax end) [clavicle]; shoulders humerus [humerus]; elbows radius [radius];
wrists wrist [wrist]; hands hand (= wrist bone end) [hand]. Head top: the head bone's end.

cgspeed Daz/Poser: pelvis hip [hip]; hips Thigh [Thigh] (Buttock never rotates); knees Shin;
ankles Foot; feet Foot's end site [Foot]; spine1 abdomen; spine2 chest; spine3 = chest + half
the chest->neck offset, fixed in the chest frame [chest]; neck; head; collars Collar; shoulders
Shldr; elbows ForeArm; wrists Hand; hands Mid1 [Mid1]. No head end site (head top unknown).

Note on CMU BVH conversions: cgspeed and amc2bvh give ASF bones with several children (thorax,
wrists) zero length; ``amc_joint_transforms(..., zero_length_branching=True)`` reproduces that
when a conversion is compared with the original ASF/AMC (see tests).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posebench.data.mocap.asfamc import AmcMotion, AsfSkeleton, amc_joint_transforms
from posebench.data.mocap.bvh import BvhMotion, bvh_global_transforms
from posebench.data.resample import resample_motion
from posebench.errors import DataFormatError
from posebench.skeleton import SMPL_JOINT_NAMES, SMPL_PARENTS

# CMU skeleton map in ASF bone names: SMPL joint -> (position, driving frame); "{s}" = l / r.
_CMU_MAP = {
    "pelvis": ("root", "root"),
    "{S}_hip": ("{s}femur", "{s}femur"),
    "{S}_knee": ("{s}tibia", "{s}tibia"),
    "{S}_ankle": ("{s}foot", "{s}foot"),
    "{S}_foot": ("{s}toes", "{s}toes"),
    "spine1": ("lowerback", "lowerback"),
    "spine2": ("upperback", "upperback"),
    "spine3": ("thorax", "thorax"),
    "neck": ("lowerneck", "lowerneck"),
    "head": ("upperneck", "upperneck"),
    "{S}_collar": ("{s}clavicle", "{s}clavicle"),
    "{S}_shoulder": ("{s}humerus", "{s}humerus"),
    "{S}_elbow": ("{s}radius", "{s}radius"),
    "{S}_wrist": ("{s}wrist", "{s}wrist"),
    "{S}_hand": ("{s}hand", "{s}hand"),
}
_CMU_HEAD_TOP = "head_end"

# ASF bone name -> name in each BVH conversion of the CMU skeleton ("{s}"/"{S}" expand per side).
_CMU_RENAMES = {
    "cgspeed_mb": {
        "root": "Hips", "{s}femur": "{Side}UpLeg", "{s}tibia": "{Side}Leg", "{s}foot": "{Side}Foot",
        "{s}toes": "{Side}ToeBase", "lowerback": "LowerBack", "upperback": "Spine", "thorax": "Spine1",
        "lowerneck": "Neck", "upperneck": "Neck1", "head_end": "Head_end", "{s}clavicle": "{Side}Shoulder",
        "{s}humerus": "{Side}Arm", "{s}radius": "{Side}ForeArm", "{s}wrist": "{Side}Hand",
        "{s}hand": "{Side}FingerBase",
    },
    "cgspeed_3dsmax": {
        "root": "Hips", "{s}femur": "{Side}Hip", "{s}tibia": "{Side}Knee", "{s}foot": "{Side}Ankle",
        "{s}toes": "{Side}Toe", "lowerback": "lowerback", "upperback": "Chest", "thorax": "Chest2",
        "lowerneck": "lowerneck", "upperneck": "Neck", "head_end": "Head_end", "{s}clavicle": "{Side}Collar",
        "{s}humerus": "{Side}Shoulder", "{s}radius": "{Side}Elbow", "{s}wrist": "{Side}Wrist",
        "{s}hand": "{s}hand",
    },
    "cmu_asf": {},  # ASF/AMC ("root") and amc2bvh ("hip" root) keep the ASF names
}

_DAZ_MAP = {
    "pelvis": ("hip", "hip"),
    "{S}_hip": ("{s}Thigh", "{s}Thigh"),
    "{S}_knee": ("{s}Shin", "{s}Shin"),
    "{S}_ankle": ("{s}Foot", "{s}Foot"),
    "{S}_foot": ("{s}Foot_end", "{s}Foot"),
    "spine1": ("abdomen", "abdomen"),
    "spine2": ("chest", "chest"),
    "spine3": (("chest", "neck", 0.5), "chest"),  # point fixed in the chest frame
    "neck": ("neck", "neck"),
    "head": ("head", "head"),
    "{S}_collar": ("{s}Collar", "{s}Collar"),
    "{S}_shoulder": ("{s}Shldr", "{s}Shldr"),
    "{S}_elbow": ("{s}ForeArm", "{s}ForeArm"),
    "{S}_wrist": ("{s}Hand", "{s}Hand"),
    "{S}_hand": ("{s}Mid1", "{s}Mid1"),
}

# SMPL rest directions of limb bones (child of the named joint); others keep the source rest.
_CANONICAL_CHILD_DIR = {
    "left_hip": (0, -1, 0), "right_hip": (0, -1, 0), "left_knee": (0, -1, 0), "right_knee": (0, -1, 0),
    "left_shoulder": (1, 0, 0), "right_shoulder": (-1, 0, 0), "left_elbow": (1, 0, 0), "right_elbow": (-1, 0, 0),
}

SCHEMES = ("cgspeed_mb", "cgspeed_3dsmax", "cgspeed_daz", "cmu_asf")


@dataclass
class SourceMotion:
    """A posed source skeleton: names (J,), parents (J,), positions_m (T, J, 3),
    world_rotmat (T, J, 3, 3) relative to the source rest pose, fps, path, scheme."""

    names: list[str]
    parents: list[int]
    positions_m: np.ndarray
    world_rotmat: np.ndarray
    fps: float
    path: Path
    scheme: str


@dataclass
class RetargetedMotion:
    """SMPL-24 motion of one clip.

    - ``pose_rotmat`` (T, 24, 3, 3) local rotations, SMPL convention (T-pose rest, +Y up, +Z forward).
    - ``transl_m`` (T, 3) pelvis position (``rest_offsets_m[0]`` is zero).
    - ``rest_offsets_m`` (24, 3) the subject's own bone offsets in the SMPL rest frame.
    - ``joints_m`` (T, 24, 3) the source's mapped joint positions, SMPL world frame.
    - ``head_top_m`` (T, 3) or None: the source's head end site, when it has one.
    - ``head_top_offset_m`` (3,) or None: head top from the head joint in the head's rest frame.
    """

    pose_rotmat: np.ndarray
    transl_m: np.ndarray
    rest_offsets_m: np.ndarray
    joints_m: np.ndarray
    fps: float
    path: Path
    trial: str | None
    head_top_m: np.ndarray | None = None
    head_top_offset_m: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.pose_rotmat.shape[0])


def source_from_bvh(motion: BvhMotion, unit_to_m: float, scheme: str, fps: float | None = None,
                    drop_first_frame: bool = False) -> SourceMotion:
    pos, rot = bvh_global_transforms(motion, unit_to_m)
    if drop_first_frame:
        pos, rot = pos[1:], rot[1:]
    return SourceMotion(list(motion.names), list(motion.parents), pos, rot, fps or motion.fps, motion.path, scheme)


def source_from_asfamc(asf: AsfSkeleton, amc: AmcMotion, fps: float, zero_length_branching: bool = False) -> SourceMotion:
    names, parents, pos, rot = amc_joint_transforms(asf, amc, zero_length_branching=zero_length_branching)
    return SourceMotion(names, parents, pos, rot, fps, amc.path, "cmu_asf")


def _expand(template: str, side: str) -> str:
    Side = {"l": "Left", "r": "Right"}[side]
    return template.replace("{Side}", Side).replace("{s}", side)


def joint_map(scheme: str, names: list[str]) -> tuple[dict, str | None]:
    """{SMPL joint: (position spec, driving joint)} and the head-top point for a scheme."""
    if scheme in _CMU_RENAMES:
        renames = _CMU_RENAMES[scheme]
        base, head_top = _CMU_MAP, _CMU_HEAD_TOP
    elif scheme == "cgspeed_daz":
        renames, base, head_top = {}, _DAZ_MAP, None
    else:
        raise DataFormatError("retarget", f"no SMPL map for naming scheme {scheme!r}; known: {SCHEMES}", field="scheme")

    def rename(asf_name: str, side: str) -> str:
        key = asf_name
        if side and asf_name.startswith(side) and ("{s}" + asf_name[1:]) in renames:
            key = "{s}" + asf_name[1:]
        out = renames.get(key, asf_name)
        return _expand(out, side) if side else out

    out = {}
    for smpl_t, (pos_t, drive_t) in base.items():
        sides = ["l", "r"] if "{S}" in smpl_t else [""]
        for s in sides:
            smpl = smpl_t.replace("{S}", {"l": "left", "r": "right"}.get(s, ""))
            def one(t):
                return rename(_expand(t, s) if s else t, s)
            pos = (one(pos_t[0]), one(pos_t[1]), pos_t[2]) if isinstance(pos_t, tuple) else one(pos_t)
            out[smpl] = (pos, one(drive_t))
    if scheme == "cmu_asf" and "root" not in names and "hip" in names:  # amc2bvh names the root "hip"
        out = {k: (("hip" if p == "root" else p), ("hip" if d == "root" else d)) for k, (p, d) in out.items()}
    top = rename(head_top, "") if head_top else None
    return out, top


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking direction a to direction b (3,) -> (3, 3)."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    v, c = np.cross(a, b), float(np.dot(a, b))
    if c < -1 + 1e-9:  # opposite: rotate pi about any axis normal to a
        axis = np.cross(a, [1.0, 0, 0]) if abs(a[0]) < 0.9 else np.cross(a, [0, 1.0, 0])
        axis /= np.linalg.norm(axis)
        return 2 * np.outer(axis, axis) - np.eye(3)
    K = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + K + K @ K / (1 + c)


def retarget(src: SourceMotion, target_fps: float | None = 30.0, trial: str | None = None) -> RetargetedMotion:
    """Map a posed source skeleton onto SMPL-24 (see the module docstring), then resample."""
    mapping, head_top_name = joint_map(src.scheme, src.names)
    index = {n: i for i, n in enumerate(src.names)}

    def idx(name):
        if name not in index:
            raise DataFormatError(src.path, f"scheme {src.scheme}: source has no joint {name!r}", field="joints")
        return index[name]

    T = src.positions_m.shape[0]
    if T == 0:
        raise DataFormatError(src.path, "no frames", field="frames")
    positions, W, fps = src.positions_m, src.world_rotmat, src.fps
    step = fps / target_fps if target_fps else 1.0
    if target_fps and abs(step - round(step)) < 1e-9 and round(step) >= 1:
        # Integer ratio: the target times fall on source frames, where slerp returns the
        # source sample itself; subsample first (same result, a fraction of the work).
        positions, W = positions[:: round(step)], W[:: round(step)]
        fps, T = float(target_fps), positions.shape[0]
    drive = np.array([idx(mapping[n][1]) for n in SMPL_JOINT_NAMES])
    joints = np.empty((T, 24, 3))
    for j, n in enumerate(SMPL_JOINT_NAMES):
        spec = mapping[n][0]
        if isinstance(spec, tuple):  # point fixed in frame a: pos(a) + w * (pos(b) - pos(a))
            a, b, w = idx(spec[0]), idx(spec[1]), spec[2]
            joints[:, j] = positions[:, a] + w * (positions[:, b] - positions[:, a])
        else:
            joints[:, j] = positions[:, idx(spec)]

    Wd = W[:, drive]  # (T, 24, 3, 3)
    B = np.broadcast_to(np.eye(3), (24, 3, 3)).copy()
    v = np.zeros((24, 3))
    for c in range(1, 24):
        p = SMPL_PARENTS[c]
        v[c] = np.einsum("tba,tb->ta", Wd[:, p], joints[:, c] - joints[:, p]).mean(0)
    for p, name in enumerate(SMPL_JOINT_NAMES):
        if name in _CANONICAL_CHILD_DIR:
            child = SMPL_PARENTS.index(p)
            if np.linalg.norm(v[child]) > 1e-6:
                B[p] = _rotation_between(v[child], np.asarray(_CANONICAL_CHILD_DIR[name], float))
    rest = np.zeros((24, 3))
    for c in range(1, 24):
        rest[c] = B[SMPL_PARENTS[c]] @ v[c]
    G = Wd @ np.swapaxes(B, -1, -2)[None]  # (T, 24, 3, 3)
    local = np.empty_like(G)
    local[:, 0] = G[:, 0]
    for c in range(1, 24):
        local[:, c] = np.swapaxes(G[:, SMPL_PARENTS[c]], -1, -2) @ G[:, c]
    transl = joints[:, 0].copy()

    head_top = head_top_off = None
    if head_top_name and head_top_name in index:
        head_top = positions[:, index[head_top_name]]
        h = SMPL_JOINT_NAMES.index("head")
        head_top_off = np.einsum("tba,tb->ta", G[:, h], head_top - joints[:, h]).mean(0)

    if target_fps and abs(target_fps - fps) > 1e-9:
        local, transl = resample_motion(local, transl, fps, target_fps, name=str(src.path))
        t_dst = np.arange(local.shape[0]) / target_fps
        t_src = np.arange(T) / fps
        joints = _lerp_frames(joints, t_src, t_dst)
        if head_top is not None:
            head_top = _lerp_frames(head_top, t_src, t_dst)
        fps = float(target_fps)
    return RetargetedMotion(
        pose_rotmat=local, transl_m=transl, rest_offsets_m=rest, joints_m=joints, fps=fps, path=Path(src.path),
        trial=trial, head_top_m=head_top, head_top_offset_m=head_top_off,
    )


def _lerp_frames(x: np.ndarray, t_src: np.ndarray, t_dst: np.ndarray) -> np.ndarray:
    """Linear interpolation along axis 0 at times t_dst (clamped)."""
    t_dst = np.clip(t_dst, t_src[0], t_src[-1])
    hi = np.clip(np.searchsorted(t_src, t_dst), 1, len(t_src) - 1) if len(t_src) > 1 else np.zeros(len(t_dst), int)
    if len(t_src) == 1:
        return x[hi]
    lo = hi - 1
    a = ((t_dst - t_src[lo]) / (t_src[hi] - t_src[lo])).reshape(-1, *([1] * (x.ndim - 1)))
    return x[lo] * (1 - a) + x[hi] * a


def fit_betas(rest_offsets_m: np.ndarray, params) -> np.ndarray:
    """Least-squares betas (10,) with offsets ~= mean + sum_i betas_i * components_i.

    ``params``: a mapping (e.g. the loaded ``skeleton_body_model.npz``) with
    ``rest_offsets_mean_m`` (24, 3) and ``shape_components_m`` (10, 24, 3)."""
    mean = np.asarray(params["rest_offsets_mean_m"], dtype=np.float64)
    comps = np.asarray(params["shape_components_m"], dtype=np.float64)
    A = comps.reshape(comps.shape[0], -1).T  # (72, 10)
    b = (np.asarray(rest_offsets_m, dtype=np.float64) - mean).reshape(-1)
    betas, *_ = np.linalg.lstsq(A, b, rcond=None)
    return betas
