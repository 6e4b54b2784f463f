"""Training: the loop, windows, checkpoints, logging, seeding and DDP.

The names below load on first use (PEP 562), so ``import posebench.training.seeding`` (the CLI
does, for the seed range) does not import torch.
"""
from importlib import import_module

_EXPORTS = {
    "load_checkpoint": "checkpoint", "restore_rng": "checkpoint", "rng_state": "checkpoint",
    "save_checkpoint": "checkpoint", "TrainConfig": "loop", "TrainingError": "loop", "TrainResult": "loop",
    "fit": "loop", "step_batch_indices": "loop", "MotionWindows": "windows", "TrackWindows": "windows",
    "collate_windows": "windows", "seed_everything": "seeding",
}  # fmt: skip

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'posebench.training' has no attribute {name!r}")
    value = getattr(import_module(f"posebench.training.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
