"""Stage 1 of MEVA: pretrain the motion VAE on motion clips (official_implementations.md §4.2).

Data: ``dataset.motion(train_split)`` (CMU by default, AMASS when the user has it), speed/flip
variants and per-crop root rotation / time reversal (each switchable, :mod:`posebench_meva.vae_data`),
90-frame crops drawn uniformly with replacement, ``steps_per_epoch`` batches per epoch.
Optimiser: Adam; LambdaLR ``lr * (1 - max(0, epoch - d) / (epochs - d + 1))`` with
``d = round(decay_start_frac * epochs)`` (MEVA: 1000 epochs, d = 500), stepped per epoch;
gradient-norm clip 5. Each epoch: validation loss on the val split's non-overlapping windows
and the Table-1 reconstruction metrics; ``last.pt`` every epoch and ``best.pt`` on the best
validation loss (atomic, resumable at epoch boundaries), ``metrics.csv``.

Files under ``out_dir``: ``last.pt``, ``best.pt``, ``metrics.csv``, ``report.json`` (the
reconstruction metrics of ``best.pt`` on the val and test splits).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from posebench_meva.vae import MotionVAE, VAEConfig, VAELossWeights, vae_loss
from posebench_meva.vae_data import (
    AugmentConfig,
    crop_dataset,
    crops_to_meva6d,
    eval_windows,
)
from posebench_meva.vae_eval import vae_reconstruction_eval
from tqdm.auto import tqdm

from posebench.body_models import get_body_model
from posebench.config import check_keys
from posebench.errors import PosebenchError
from posebench.io import write_json
from posebench.training.checkpoint import load_checkpoint, restore_rng, save_checkpoint
from posebench.training.data import open_dataset
from posebench.training.logging import MetricsLogger, get_logger
from posebench.training.seeding import seed_everything

VAE_MODEL_NAME = "meva-vae"


@dataclass
class VAETrainConfig:
    """The ``vae`` section of a MEVA config (the network sizes live in ``model.vae``)."""

    dataset: str | None = None  # None: the dataset MEVA is trained on (e.g. "cmu"); "amass" when available
    train_split: str = "train"
    val_split: str = "val"
    test_split: str = "test"
    epochs: int = 1000
    steps_per_epoch: int = 977  # MEVA: 500000 samples / batch 512 per epoch
    batch_size: int = 512
    lr: float = 1e-4
    decay_start_frac: float = 0.5
    grad_clip: float = 5.0
    crop_stride: int = 1
    seed: int = 0
    body_model: str = "skeleton"
    loss_weights: dict = field(default_factory=lambda: asdict(VAELossWeights()))
    augment: dict = field(default_factory=lambda: asdict(AugmentConfig()))

    @classmethod
    def from_dict(cls, d: dict | None) -> "VAETrainConfig":
        d = check_keys("MEVA config 'vae'", d, cls)
        return cls(**d)


def lr_factor(epoch: int, epochs: int, decay_start_frac: float) -> float:
    """MEVA's LambdaLR shape scaled to ``epochs``: constant, then linear decay towards 0."""
    d = int(round(decay_start_frac * epochs))
    return 1.0 - max(0, epoch - d) / float(epochs - d + 1)


def _motion(dataset, split: str) -> list:
    if split not in dataset.splits():
        return []
    return list(dataset.motion(split))


def _val_loss(vae: MotionVAE, windows: torch.Tensor, weights: VAELossWeights, device, batch: int = 256) -> float:
    vae.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(windows), batch):
            x = windows[i:i + batch].to(device)
            recon, mu, logvar = vae(x)
            total += vae_loss(recon, x, mu, logvar, weights)["loss"].item() * len(x)
            n += len(x)
    vae.train()
    return total / max(n, 1)


def train_vae(cfg: dict, dataset, out_dir: str | Path, device: str = "cpu", resume: bool = False) -> Path:
    """Pretrain MEVA's VAE; returns the path of ``best.pt``.

    ``cfg``: a whole MEVA config (``model.vae`` = network sizes, ``vae`` = this stage's
    options, :class:`VAETrainConfig`). ``dataset``: a dataset object or a registered name.
    """
    tcfg = VAETrainConfig.from_dict(cfg.get("vae"))
    net_cfg = VAEConfig.from_dict((cfg.get("model") or {}).get("vae"))
    aug = AugmentConfig.from_dict(tcfg.augment)
    weights = VAELossWeights(**tcfg.loss_weights)
    if isinstance(dataset, str):
        dataset = open_dataset(dataset, cfg)
    ds_name = getattr(dataset, "name", type(dataset).__name__)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = get_logger()

    train_clips = _motion(dataset, tcfg.train_split)
    if not train_clips:
        raise PosebenchError(f"dataset {ds_name!r}, split {tcfg.train_split!r}: no motion clips to train the MEVA VAE on")
    crops = crop_dataset(train_clips, aug, net_cfg.t_total, tcfg.crop_stride, tcfg.seed,
                         f"dataset {ds_name!r}, split {tcfg.train_split!r}")
    val_clips = _motion(dataset, tcfg.val_split)
    val_windows = eval_windows(val_clips, net_cfg.t_total)
    body_model = get_body_model(tcfg.body_model).to(device)

    seed_everything(tcfg.seed)  # before the VAE exists: the seed fixes the initial weights
    vae = MotionVAE(net_cfg).to(device)
    opt = torch.optim.Adam(vae.parameters(), lr=tcfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: lr_factor(e, tcfg.epochs, tcfg.decay_start_frac))
    hparams = net_cfg.to_dict()
    start_epoch, best = 0, float("inf")
    last_path, best_path = out_dir / "last.pt", out_dir / "best.pt"
    logger = MetricsLogger(out_dir, tensorboard=False)
    if resume and last_path.is_file():
        ckpt = load_checkpoint(last_path, VAE_MODEL_NAME, map_location=device, model=vae, seed=tcfg.seed)
        opt.load_state_dict(ckpt["optimizers"]["vae"])
        sched.load_state_dict(ckpt["schedulers"]["vae"])
        start_epoch = int(ckpt["epoch"])
        best = float("inf") if ckpt["best_metric"] is None else float(ckpt["best_metric"])
        if ckpt.get("rng"):
            restore_rng(ckpt["rng"])
        logger.truncate_after(int(ckpt["step"]))
        log.info("VAE: resumed from %s at epoch %d", last_path, start_epoch)

    step = start_epoch * tcfg.steps_per_epoch
    vae.train()
    bar = tqdm(total=tcfg.epochs * tcfg.steps_per_epoch, initial=step, desc="train meva VAE", unit="step",
               dynamic_ncols=True)
    for epoch in range(start_epoch, tcfg.epochs):
        crops.set_epoch(epoch)
        rng = np.random.default_rng([tcfg.seed, epoch])  # which crops: a function of (seed, epoch)
        order = rng.integers(0, len(crops), size=(tcfg.steps_per_epoch, tcfg.batch_size))
        sums: dict[str, float] = {}
        for idx in order:
            x = crops_to_meva6d(torch.stack([crops[int(i)] for i in idx])).to(device)
            recon, mu, logvar = vae(x)
            losses = vae_loss(recon, x, mu, logvar, weights)
            opt.zero_grad(set_to_none=True)
            losses["loss"].backward()
            torch.nn.utils.clip_grad_norm_(vae.parameters(), tcfg.grad_clip)
            opt.step()
            step += 1
            bar.update(1)
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach())
        sched.step()
        train_row = {k: v / tcfg.steps_per_epoch for k, v in sums.items()}
        train_row["lr"] = opt.param_groups[0]["lr"]
        logger.log(step, "train", train_row)
        val_row = {}
        if len(val_windows):
            val_row["loss"] = _val_loss(vae, val_windows, weights, device)
            val_row.update({k: v for k, v in vae_reconstruction_eval(vae, val_clips, body_model).items()
                            if k in ("mpjpe", "pa_mpjpe", "acc_err")})
            logger.log(step, "val", val_row)
        if len(val_windows):
            is_best = val_row["loss"] < best
            best = min(best, val_row["loss"])
        else:  # no val split: the last epoch is the best
            is_best, best = True, train_row["loss"]
        common = dict(model_name=VAE_MODEL_NAME, model=vae, hparams=hparams, step=step, epoch=epoch + 1,
                      best_metric=best, extra={"dataset": ds_name}, seed=tcfg.seed)
        if is_best:
            save_checkpoint(best_path, **common)
        save_checkpoint(last_path, optimizers={"vae": opt}, schedulers={"vae": sched}, **common)
        log.info("VAE epoch %d/%d: train loss %.3f, val %s", epoch + 1, tcfg.epochs, train_row["loss"], val_row)
        bar.set_postfix(loss=f"{train_row['loss']:.1f}", val=f"{val_row.get('loss', float('nan')):.1f}")
    bar.close()
    logger.close()

    if not best_path.is_file():  # resumed after the last epoch had already been written
        raise PosebenchError(f"{best_path}: missing; rerun the VAE stage without --resume")
    _write_report(best_path, dataset, ds_name, tcfg, body_model, device, out_dir)
    return best_path


def load_vae(path: str | Path, device: str = "cpu") -> MotionVAE:
    """A :class:`MotionVAE` from a checkpoint written by :func:`train_vae`."""
    ckpt = load_checkpoint(path, VAE_MODEL_NAME, map_location=device)
    vae = MotionVAE(VAEConfig.from_dict(ckpt["hparams"])).to(device)
    vae.load_state_dict(ckpt["state_dict"])
    return vae.eval()


def _write_report(best_path: Path, dataset, ds_name: str, tcfg: VAETrainConfig, body_model, device, out_dir: Path):
    """Table-1 analog: reconstruction metrics of the best VAE on the held-out splits."""
    vae = load_vae(best_path, device)
    report = {"dataset": ds_name, "checkpoint": str(best_path), "splits": {}}
    for split in (tcfg.val_split, tcfg.test_split):
        clips = _motion(dataset, split)
        if clips:
            report["splits"][split] = vae_reconstruction_eval(vae, clips, body_model)
    write_json(out_dir / "report.json", report)
