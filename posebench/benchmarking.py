"""Evaluate several trained models (x seeds) on one dataset split and compare them, paired.

This is what ``posebench eval`` and ``posebench compare`` run. Every model sees the same
tracks and is scored under the same protocol, so the per-sequence errors are paired and
the differences between models get bootstrap confidence intervals over sequences.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from posebench import results
from posebench.data.fetch import sha256_file
from posebench.errors import PosebenchError
from posebench.devices import choose_device
from posebench.evaluation import predict, score_predictions
from posebench.filters import FilteredModel
from posebench.metrics.compare import compare_models
from posebench.metrics.protocols import Protocol
from posebench.predictions import write_predictions
from posebench.runs import find_checkpoint, load_trained
from posebench.training.checkpoint import training_budget

COMPARE_METRICS = ("mpjpe", "pa_mpjpe", "acc_err", "accel")


@dataclass
class EvalReport:
    rows: list[dict]
    per_sequence: pd.DataFrame
    comparison: pd.DataFrame | None
    meta: dict = field(default_factory=dict)

    def table(self) -> str:
        return results.format_table(self.rows)


def _gt_fields(track) -> dict:
    fields = {"joints3d_m": track.joints3d_m}
    if track.valid is not None:
        fields["valid"] = track.valid
    if track.kp2d is not None:
        fields["vis2d"] = track.kp2d[..., 2]
    if track.meta.get("video") is not None:
        fields["video"] = str(track.meta["video"])
    return fields


def seed_averaged(per_sequence: pd.DataFrame) -> pd.DataFrame:
    """One row per sequence, each metric averaged over the seeds (``per_sequence``: the rows of one
    model, a ``sequence`` column, maybe ``video``, ``model``, ``seed``): what paired comparisons pair."""
    numeric = [c for c in per_sequence.columns if c not in ("sequence", "video", "model", "seed")]
    grouped = per_sequence.groupby("sequence", sort=True)
    averaged = grouped[numeric].mean()
    averaged["video"] = grouped["video"].first()
    return averaged.reset_index()


def run_eval(models: dict[str, FilteredModel], dataset, *, dataset_name: str, protocol: Protocol,
             build: Callable[[str, dict], object], default_configs: dict[str, str | None] | None = None,
             split: str = "test", seeds: list[int] = (0,), checkpoints: dict[str, str] | None = None,
             device: str | None = None, progress: bool = True, config: str | None = None,
             predictions_dir: Path | None = None, extra_metrics: list | None = None) -> EvalReport:
    """Evaluate each model x seed on the same tracks of ``dataset``'s ``split``; with ``predictions_dir``,
    also write each model's predictions and the ground truth in the :mod:`posebench.predictions` layout,
    so ``posebench score`` can re-score them (or score another method against the same GT).

    Objects, resolved by the caller (:func:`posebench.api.run_eval` takes names): ``models``
    ``{label: FilteredModel}`` (MODEL+FILTER labels, e.g. vibe+one-euro: MODEL's checkpoint, its
    per-track output filtered), ``dataset`` (its registered name: ``dataset_name``, which names the
    checkpoint folders), ``protocol``, ``build(model_name, hparams)`` (rebuilds a checkpoint's model),
    ``default_configs`` (``{model: ModelSpec.config}``, for the checkpoint folders' config tag) and
    ``extra_metrics`` (plugin :class:`posebench.specs.MetricSpec` scored besides the protocol's).
    """
    from posebench.models.base import model_outputs, skipped_metrics

    proto = protocol
    extra_metrics = list(extra_metrics or [])
    default_configs = default_configs or {}
    device = choose_device(device)
    checkpoints = checkpoints or {}
    if checkpoints and len(seeds) > 1:
        raise PosebenchError("--checkpoint names one file per model; use it with a single seed")
    ds = dataset
    dataset = dataset_name  # below, the name: checkpoint folders, results, messages
    specs = models
    tracks = ds.tracks(split)
    if not tracks:
        raise PosebenchError(f"dataset {dataset!r} has no tracks in split {split!r}")
    rows, per_seq_frames, ckpt_info, notes, skipped_sequences, budgets = [], [], {}, {}, {}, {}
    per_model_tables: dict[str, pd.DataFrame] = {}
    for model_name in models:
        summaries, tables = [], []
        spec = specs[model_name]
        for seed in seeds:
            path = find_checkpoint(spec.model, dataset, seed, checkpoints, config,
                                   default_config=default_configs.get(spec.model))
            model, ckpt = load_trained(path, device, spec.model, build=build)
            budgets[f"{model_name}/seed{seed}"] = training_budget(ckpt)
            del ckpt  # its weights are in the model now
            skipped = skipped_metrics(model_outputs(model), proto.metrics)  # joints-only models: no PVE
            if skipped:
                notes[model_name] = skipped
            preds = predict(model, tracks, proto, device=device, progress=progress, track_filter=spec.track_filter)
            result = score_predictions(preds, tracks, proto, extra_metrics)
            if result.skipped:  # sequences with nothing to score under proto: reported, not scored
                skipped_sequences[model_name] = result.skipped
            if predictions_dir is not None:
                write_predictions(Path(predictions_dir) / f"{model_name}_seed{seed}.npz",
                                  {n: {"joints3d_m": np.nan_to_num(p.joints_lsp14_m), "covered": p.covered}
                                   for n, p in preds.items()}, fps=tracks[0].fps)
            summaries.append(result.summary)
            table = result.per_sequence.assign(model=model_name, seed=seed)
            tables.append(table)
            ckpt_info[f"{model_name}/seed{seed}"] = {"path": str(path), "sha256": sha256_file(path)}
        rows += results.summary_rows(model_name, dataset, proto.id, summaries, extra_metrics)
        seq_table = pd.concat(tables, ignore_index=True)
        per_seq_frames.append(seq_table)
        per_model_tables[model_name] = seed_averaged(seq_table)
    if predictions_dir is not None:
        write_predictions(Path(predictions_dir) / "gt.npz", {t.name: _gt_fields(t) for t in tracks}, fps=tracks[0].fps)
    comparison = None
    if len(models) > 1:
        metrics = [m for m in COMPARE_METRICS if all(m in t.columns for t in per_model_tables.values())]
        comparison = compare_models(per_model_tables, metrics, protocol=proto)  # weighted as proto aggregates
    status = ds.status()
    meta = {
        "dataset": dataset, "config": config, "split": split, "n_tracks": len(tracks), "seeds": list(seeds),
        "protocol": proto.definition(), "checkpoints": ckpt_info, "device": device,
        "filters": {name: spec.describe() for name, spec in specs.items() if spec.track_filter is not None},
        "notes": notes, "skipped_sequences": skipped_sequences,
        # What each model was trained with, declared: steps, frames seen (windows x length x steps), wall time.
        "training_budget": budgets,
        # Which build of the benchmark: build id, detector preset, severity, 2D supervision.
        "dataset_build": getattr(ds, "describe", dict)(),
        "provenance": {"dataset_files": getattr(ds, "file_hashes", lambda: {})(),
                       "dataset_root": str(status.root)},
    }
    return EvalReport(rows, pd.concat(per_seq_frames, ignore_index=True), comparison, meta)
