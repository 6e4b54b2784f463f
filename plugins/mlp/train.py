"""MLP training through the shared supervised setup and the core loop (:func:`posebench.training.loop.fit`).

Config sections (``configs/mlp/*.py``): ``model`` (:class:`~posebench_mlp.model.MlpConfig`),
``train`` (:class:`posebench.training.loop.TrainConfig`) and ``dataset_options``. Output folder:
``{best,last}.pt`` and ``metrics.csv``; ``best.pt`` is chosen on the VAL split only.
"""
from __future__ import annotations

from pathlib import Path

from posebench_mlp.model import MlpLifter

from posebench.errors import PosebenchError
from posebench.models.base import model_section
from posebench.training.data import open_dataset, supervised_splits, train_config
from posebench.training.loop import fit
from posebench.training.seeding import seed_everything


def train_mlp(cfg: dict, dataset_name: str, out_dir: str | Path, device: str = "cpu", resume: bool = False,
              stage: str = "all", seed: int = 0) -> Path:
    """The ``train`` entry registered for "mlp": trains on the train split, selects on the val split;
    returns the best checkpoint (the last one when the dataset has no val split)."""
    if stage not in ("all", "e2e"):
        raise PosebenchError(f"the MLP trains in one stage; --stage must be 'all' (got {stage!r})")
    cfg = dict(cfg or {})
    window = int(model_section(cfg).get("window", MlpLifter.window))
    dataset = open_dataset(dataset_name, cfg)
    train_tracks, val_tracks = supervised_splits(dataset, dataset_name, window, "the MLP")
    seed_everything(seed)  # before the model exists: the seed fixes the initial weights
    model = MlpLifter({**model_section(cfg), "input_dim": int(train_tracks[0].features.shape[1])})
    result = fit(model, train_tracks, val_tracks, train_config(cfg, seed=seed, device=device), Path(out_dir),
                 resume=resume, progress=True)
    return result.best_path or result.last_path
