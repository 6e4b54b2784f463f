"""Motion-capture readers (BVH, ASF/AMC), the real-data manifest, and retargeting to SMPL-24."""
from posebench.data.mocap.asfamc import AmcMotion, AsfSkeleton, amc_joint_transforms, read_amc, read_asf
from posebench.data.mocap.bvh import BvhMotion, bvh_global_positions, read_bvh
from posebench.data.mocap.manifest import MocapEntry, load_manifest, unique_trials
from posebench.data.mocap.retarget import RetargetedMotion, fit_betas, retarget

__all__ = [
    "AmcMotion", "AsfSkeleton", "BvhMotion", "MocapEntry", "RetargetedMotion", "amc_joint_transforms",
    "bvh_global_positions", "fit_betas", "load_manifest", "read_amc", "read_asf", "read_bvh", "retarget",
    "unique_trials",
]
