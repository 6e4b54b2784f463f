"""Registers the built-in datasets through the public hook, as a third party would."""
from __future__ import annotations

from posebench.hookspecs import hookimpl
from posebench.specs import DatasetSpec, ProtocolSpec


def _lazy(module: str, attr: str):
    """Import the dataset module only when the dataset is used, so `posebench datasets` stays fast."""

    def factory(root=None, **kwargs):
        import importlib

        return getattr(importlib.import_module(f"posebench_datasets.{module}"), attr)(root, **kwargs)

    factory.__qualname__ = f"{module}.{attr}"
    return factory


def _lazy_cmu(subset: str = "full", version: str | None = None):
    """The CMU benchmark with a fixed subset (and version); other options (preset, severity) pass through."""
    base = _lazy("cmu", "CmuBenchmark")
    fixed = {"subset": subset, **({"version": version} if version else {})}

    def factory(root=None, **kwargs):
        return base(root, **{**kwargs, **fixed})

    factory.__qualname__ = "cmu.CmuBenchmark(" + ", ".join(f"{k}={v!r}" for k, v in fixed.items()) + ")"
    return factory


def _lazy_function(module: str, attr: str):
    def call(*args, **kwargs):
        import importlib

        return getattr(importlib.import_module(f"posebench_datasets.{module}"), attr)(*args, **kwargs)

    call.__qualname__ = f"{module}.{attr}"
    return call


CMU_LICENCE = "CMU Graphics Lab Motion Capture Database: free for all uses, no resale of the data"


@hookimpl
def posebench_register_datasets(register):
    cmu_extras = dict(licence=CMU_LICENCE, fetch=_lazy_function("cmu", "fetch"),
                      show=_lazy_function("cmu_figure", "show"))
    # Benchmark v2 (default): detector model posebench.data.detector_noise, options preset= (aistpp,
    # h36m-hrnet, gt) and severity= through a config's dataset_options; v1: the original white noise.
    register(DatasetSpec("cmu", _lazy("cmu", "CmuBenchmark"),
                     description="CMU mocap benchmark v2: real motion, synthetic cameras, "
                     "a detector model fitted to real detections (options: preset, severity; fetchable)", **cmu_extras))
    quick_fetch = _lazy_function("cmu", "fetch")
    quick_extras = {**cmu_extras, "fetch": lambda root=None, mirror=None: quick_fetch(root=root, mirror=mirror,
                                                                                       subset="quick")}
    register(DatasetSpec("cmu-quick", _lazy_cmu("quick"),
                     description="A small fixed subset of the CMU benchmark v2, for tests",
                     **quick_extras))
    register(DatasetSpec("cmu-v1", _lazy_cmu("full", "v1"),
                     description="CMU benchmark v1 (white detector noise), bit-identical "
                     "to the first release, for reproducing old results", **cmu_extras))
    register(DatasetSpec("cmu-quick-v1", _lazy_cmu("quick", "v1"), description="The quick subset of CMU benchmark v1",
                     **quick_extras))
    register(DatasetSpec("aistpp", _lazy("aistpp", "AistPP"),
                     description="AIST++ real detections (COCO-17 -> LSP-14) with "
                     "multi-view 3D keypoints as GT, 30 fps, test only; scored with protocol aistpp-v1",
                     licence="AIST++ annotations (c) Google LLC, CC BY 4.0; put the annotation release under "
                     "POSEBENCH_DATA/aistpp", fetch=_lazy_function("aistpp", "fetch")))
    register(DatasetSpec("3dpw", _lazy("threedpw", "ThreeDPW"),
                     description="3DPW sequenceFiles/*.pkl (original release)",
                     licence="3DPW: non-commercial research licence, download it yourself"))
    register(DatasetSpec("3dpw-vibe", _lazy("vibe_db", "ThreeDPWVibe"),
                     description="VIBE-preprocessed 3dpw_{val,test}_db.pt",
                     licence="3DPW + VIBE data: non-commercial research licences"))
    register(DatasetSpec("mpii3d", _lazy("vibe_db", "MpiInf3dhpVibe"),
                     description="VIBE-preprocessed mpii3d_{train,val}_db.pt",
                     licence="MPI-INF-3DHP: non-commercial research licence"))
    register(DatasetSpec("h36m", _lazy("vibe_db", "H36mVibe"), description="MEVA-format h36m_{train,test}_db.pt",
                     licence="Human3.6M: non-commercial research licence"))
    register(DatasetSpec("pennaction", _lazy("vibe_db", "PennActionVibe"),
                     description="VIBE-preprocessed pennaction_train_db.pt",
                     licence="Penn Action: research use"))
    register(DatasetSpec("insta", _lazy("insta", "InstaVariety"), description="VIBE insta_train_db.h5 (2D only)",
                     licence="InstaVariety: research use"))
    register(DatasetSpec("amass", _lazy("amass", "Amass"), description="AMASS SMPL-H .npz motion (motion prior only)",
                     licence="AMASS: non-commercial research licence"))
    # The papers' training mixtures over the licensed datasets above (posebench_datasets/recipes.py):
    # 25 and 30 fps tracks are labelled 30 fps without resampling, as the official loaders do.
    register(DatasetSpec("vibe-recipe", _lazy("recipes", "vibe_recipe"),
                     description="VIBE's recipe: train insta + mpii3d, val/test 3dpw-vibe (25 fps mpii3d labelled 30, "
                     "as VIBE)", licence="licences of insta, mpii3d, 3dpw-vibe (non-commercial research)"))
    register(DatasetSpec("meva-recipe", _lazy("recipes", "meva_recipe"),
                     description="MEVA train_meva_2 minus 3DPW train (not public): train insta + pennaction + mpii3d + "
                     "h36m, val/test 3dpw-vibe", licence="licences of insta, pennaction, mpii3d, h36m, 3dpw-vibe "
                     "(non-commercial research)"))


@hookimpl
def posebench_register_protocols(register):
    """``aistpp-v1``: how the aistpp test set is scored (declared here, built from the core's Protocol)."""
    from dataclasses import fields

    from posebench.metrics.protocols import Protocol

    # Score LSP-14 joints 0-11 only, once the core's Protocol can declare a joint subset.
    subset_field = next((f.name for f in fields(Protocol) if f.name in ("joints", "scored_joints")), None)
    subset = {subset_field: tuple(range(12))} if subset_field else {}
    protocol = Protocol(
        **subset,
        id="aistpp-v1",
        description="AIST++ real detections: every frame covered once, frames where the person is detected and "
                    "the GT exists, frame-pooled means, accelerations within each track; scored on the 12 limb "
                    "joints COCO and LSP-14 share (LSP-14 0-11), pelvis = mid-hip",
        joint_source="pred: the model's LSP-14 joints 0-11; GT: keypoints3d_optim (multi-view triangulation of "
                     "the COCO detections) in the view's camera frame, metres; LSP neck/head top are not scored",
    )
    register(ProtocolSpec.of(protocol))
