"""Training: the loop, windows, checkpoints, logging and DDP."""
from posebench.training.checkpoint import load_checkpoint, restore_rng, rng_state, save_checkpoint
from posebench.training.loop import TrainConfig, TrainingError, TrainResult, fit, step_batch_indices
from posebench.training.windows import MotionWindows, TrackWindows, collate_windows

__all__ = [
    "MotionWindows", "TrackWindows", "TrainConfig", "TrainResult", "TrainingError", "collate_windows", "fit",
    "load_checkpoint", "restore_rng", "rng_state", "save_checkpoint", "step_batch_indices",
]  # fmt: skip
