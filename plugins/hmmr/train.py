"""HMMR training through the core loop (:func:`posebench.training.loop.fit`), driven like MEVA and VIBE.

Config sections (mmengine ``configs/hmmr/*.py``): ``model`` (:class:`~posebench_hmmr.model.HmmrConfig`),
``train`` (:class:`posebench.training.loop.TrainConfig`) and ``dataset_options`` (``{dataset
name: keyword arguments of its factory}``). Training windows are 20 frames (HMMR's T); tracks
shorter than that never enter training. Output folder: ``{best,last}.pt`` and ``metrics.csv``
(``best.pt`` chosen on the VAL split's ``train.select_metric``).
"""
from __future__ import annotations

from pathlib import Path

from posebench_hmmr.model import MODEL_CLASSES

from posebench.errors import PosebenchError
from posebench.training.data import open_dataset, supervised_splits, train_config
from posebench.training.loop import fit
from posebench.training.seeding import seed_everything


def train_hmmr(cfg: dict, dataset_name: str, out_dir: str | Path, device: str = "cpu", resume: bool = False,
               stage: str = "all", seed: int = 0, model_name: str = "hmmr") -> Path:
    """The ``train`` entry registered for "hmmr": trains on ``dataset_name``'s train split with
    its val split for model selection; returns the best checkpoint (the last one when the
    dataset has no val split). HMMR has one stage: ``stage`` must be "all" (or "e2e")."""
    if stage not in ("all", "e2e"):
        raise PosebenchError(f"HMMR trains in one stage; --stage must be 'all' (got {stage!r})")
    cfg = dict(cfg or {})
    model_cls = MODEL_CLASSES[model_name]
    window = model_cls.window
    dataset = open_dataset(dataset_name, cfg)
    train_tracks, val_tracks = supervised_splits(dataset, dataset_name, window, "HMMR")
    seed_everything(seed)  # before the model exists: the seed fixes the initial weights
    model = model_cls({**dict(cfg.get("model") or {}), "input_dim": int(train_tracks[0].features.shape[1])})
    result = fit(model, train_tracks, val_tracks, train_config(cfg, seed=seed, device=device), Path(out_dir),
                 resume=resume, progress=True)
    return result.best_path or result.last_path
