"""HMMR training through the core loop (:func:`posebench.training.loop.fit`), driven like MEVA and VIBE.

Config sections (mmengine ``configs/hmmr/*.py``): ``model`` (:class:`~posebench_hmmr.model.HmmrConfig`),
``train`` (:class:`posebench.training.loop.TrainConfig`) and ``dataset_options`` (``{dataset
name: keyword arguments of its factory}``). Training windows are 20 frames (HMMR's T); tracks
shorter than that never enter training. Output folder: ``{best,last}.pt`` and ``metrics.csv``
(``best.pt`` chosen on the VAL split's ``train.select_metric``).
"""
from __future__ import annotations

from pathlib import Path

from posebench.errors import PosebenchError
from posebench.training.data import open_dataset, training_tracks
from posebench.training.loop import TrainConfig, fit
from posebench_hmmr.model import MODEL_CLASSES


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
    train_tracks = training_tracks(dataset, "train", window)
    if not train_tracks:
        raise PosebenchError(f"dataset {dataset_name!r}, split 'train': no track with features has at least "
                             f"{window} frames; HMMR trains on {window}-frame windows")
    val_tracks = training_tracks(dataset, "val", 1)
    model_cfg = dict(cfg.get("model") or {})
    model_cfg["input_dim"] = int(train_tracks[0].features.shape[1])
    model = model_cls(model_cfg)
    train_options = dict(cfg.get("train") or {})
    train_options["seed"] = seed
    train_options["device"] = device
    result = fit(model, train_tracks, val_tracks, TrainConfig.from_dict(train_options), Path(out_dir),
                 resume=resume, progress=True)
    return result.best_path or result.last_path
