"""MEVA training in two stages (paper §3.5): ``vae`` (motion VAE pretraining, see
:mod:`posebench_meva.train_vae`), then ``e2e`` (STE + VME + MRR with the frozen VAE decoder,
through the core loop :func:`posebench.training.loop.fit`). ``all`` runs both.

Layout of ``out_dir``: ``vae/{best,last}.pt, vae/metrics.csv, vae/report.json`` (stage 1) and
``{best,last}.pt, metrics.csv`` (stage 2, the MEVA model; ``best.pt`` is where ``posebench
eval``/``compare`` look). Stage 2 refuses a VAE whose report says it does not beat "middle frame
repeated" by 40% on the test subjects (override: ``--cfg-options vae.allow_weak_prior=True``).

Config sections (mmengine ``configs/meva/*.py``): ``model`` (:class:`~posebench_meva.model.MevaConfig`,
``model.vae`` = VAE sizes), ``vae`` (:class:`~posebench_meva.train_vae.VAETrainConfig`),
``train`` (:class:`posebench.training.loop.TrainConfig`), ``dataset_options``
(``{dataset name: keyword arguments of its factory}``, e.g. ``cmu=dict(subset="quick")``).

Training windows are 90 frames; tracks shorter than that never enter training (as in MEVA).
The stride is ``train.window_stride`` or else MEVA's per-dataset stride (:data:`MEVA_STRIDES`).
"""
from __future__ import annotations

import json
from pathlib import Path

from posebench_meva.model import MEVA, MODEL_CLASSES
from posebench_meva.train_vae import VAETrainConfig, load_vae, prior_check_failure, train_vae
from posebench_meva.vae_eval import vae_reconstruction_eval

from posebench.api import open_dataset, validation_protocol
from posebench.errors import PosebenchError
from posebench.training.run_folder import clear_run
from posebench.training.supervised import train_supervised

__all__ = ["MEVA_STRIDES", "STAGES", "open_dataset", "train_e2e", "train_meva", "train_vae", "vae_reconstruction_eval"]

STAGES = ("vae", "e2e", "all")

# Training window strides for W = 90 in MEVA's loaders (ZhengyiLuo/MEVA meva/dataloaders/*.py).
MEVA_STRIDES = {"insta": 90, "pennaction": 22, "3dpw": 22, "3dpw-vibe": 22, "mpii3d": 90, "h36m": 45, "cmu": 45}


def train_e2e(cfg: dict, dataset, out_dir: str | Path, device: str = "cpu", resume: bool = False,
              seed: int = 0, model_name: str = "meva") -> Path:
    """Stage 2: train MEVA end to end on ``dataset``'s train split (a registered name or a
    dataset object), validating on its val split, with the core's supervised trainer. Needs
    ``out_dir/vae/best.pt`` unless ``model.pretrained_vae`` is False."""
    out_dir = Path(out_dir)
    if isinstance(dataset, str):
        dataset = open_dataset(dataset, cfg)
    dataset_name = getattr(dataset, "name", type(dataset).__name__)

    def load_pretrained_vae(model, run) -> dict:
        if model.cfg.pretrained_vae:
            vae_path = out_dir / "vae" / "best.pt"
            if not vae_path.is_file():
                raise PosebenchError(
                    f"{vae_path}: no pretrained VAE for the e2e stage; make it first with "
                    f"`posebench train meva --stage vae --dataset {dataset_name} --out {out_dir}` "
                    f"(or set model.pretrained_vae=False)"
                )
            _check_prior(cfg, vae_path.parent / "report.json")
            model.load_vae_state(load_vae(vae_path).state_dict(), str(vae_path))
        return {}

    return train_supervised(MODEL_CLASSES[model_name], "MEVA", cfg, dataset, dataset_name, out_dir,
                            protocol=validation_protocol(cfg), device=device, resume=resume, stage="e2e", seed=seed,
                            prepare=load_pretrained_vae,
                            default_stride=MEVA_STRIDES.get(dataset_name, MEVA.window // 2))


def _check_prior(cfg: dict, report_path: Path) -> None:
    """Refuse a VAE that does not beat "middle frame repeated" by 40% (its ``report.json``),
    unless ``vae.allow_weak_prior`` is set: a prior no better than a still pose makes MEVA a
    plain regressor with extra steps, and its numbers would say nothing about the method."""
    if VAETrainConfig.from_dict(cfg.get("vae")).allow_weak_prior:
        return
    report = json.loads(report_path.read_text()) if report_path.is_file() else None
    why = prior_check_failure(report, report_path)
    if why:
        raise PosebenchError(
            f"{why}. Train the VAE longer or larger (`--stage vae`), or start anyway with "
            f"`--cfg-options vae.allow_weak_prior=True`"
        )


def train_meva(cfg: dict, dataset_name: str, out_dir: str | Path, device: str = "cpu", resume: bool = False,
               stage: str = "all", seed: int = 0, model_name: str = "meva") -> Path:
    """The ``train`` entry registered for "meva": runs ``stage`` ("vae", "e2e" or "all") and
    returns the best checkpoint of the last stage run."""
    if stage not in STAGES:
        raise PosebenchError(f"MEVA training stage must be one of {STAGES}, got {stage!r}")
    cfg = dict(cfg or {})
    out_dir = Path(out_dir)
    best = None
    if stage in ("vae", "all"):
        vae_opts = dict(cfg.get("vae") or {})
        vae_opts["seed"] = seed
        cfg["vae"] = vae_opts
        vae_dataset = VAETrainConfig.from_dict(vae_opts).dataset or dataset_name
        best = train_vae(cfg, open_dataset(vae_dataset, cfg), out_dir / "vae", device, resume)
    if stage in ("e2e", "all"):
        # `--stage all --resume` after a kill in the VAE stage: the e2e stage has no checkpoint yet,
        # so it starts from step 0 (dropping the log of an e2e stage that never checkpointed).
        e2e_resume = resume and (stage == "e2e" or (out_dir / "last.pt").is_file())
        if resume and not e2e_resume:
            clear_run(out_dir)  # this folder's own run files only; vae/ is kept
        best = train_e2e(cfg, dataset_name, out_dir, device, e2e_resume, seed, model_name)
    return best
