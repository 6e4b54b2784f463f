"""Tools for plugin authors: contract checks and synthetic batches."""
from posebench.testing.conformance import (
    check_dataset,
    check_model,
    check_model_plugin,
    check_pose_output,
    check_track,
    synthetic_window_batch,
)

__all__ = ["check_dataset", "check_model", "check_model_plugin", "check_pose_output", "check_track",
           "synthetic_window_batch"]
