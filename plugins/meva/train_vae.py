"""Stage 1 of MEVA: pretrain the motion VAE (ZhengyiLuo/MEVA ``scripts/train_vae.py``).

Motion for the prior (:func:`prior_motion`): every clip of ``train_splits`` (train and val) of
the dataset, except the subjects held out of ``select_split`` for model selection (every
``select_every``-th subject in sorted order) and, always, the subjects of ``test_split``; plus
all motion of the ``extra_motion`` datasets the user has (AMASS: converted from Z-up to Y-up
before any augmentation). Speed/flip variants, per-crop time reversal and MEVA's
camera-convention root (each switchable, :mod:`posebench_meva.vae_data`), 90-frame crops drawn
uniformly with replacement, ``steps_per_epoch`` batches per epoch.

With ``model.vae.linear_path`` the VAE's linear path is set, before the first step, to the PCA of
``linear_init_windows`` training crops (:meth:`MotionVAE.init_linear_path`) and trained at
``lr * linear_path_lr_scale``.

Optimiser: Adam; LambdaLR ``lr * (1 - max(0, epoch - d) / (epochs - d + 1))`` with
``d = round(decay_start_frac * epochs)`` (MEVA: 1000 epochs, d = 500), stepped per epoch;
gradient-norm clip 5. Each epoch: validation loss and the Table-1 reconstruction metrics on the
held-out selection subjects *in camera frame* (the reconstruction-vs-steps curve, in
``metrics.csv``); ``last.pt`` every epoch and ``best.pt`` on the best selection MPJPE (atomic,
resumable at epoch boundaries).

Files under ``out_dir``: ``last.pt``, ``best.pt``, ``metrics.csv``, ``report.json``: for the
selection and test subjects, in camera frame, the reconstruction metrics of ``best.pt`` beside
the three baselines of :mod:`posebench_meva.vae_eval`, whether the VAE beats "middle frame
repeated" by 40% (``prior_check``, read by the end-to-end stage), the curve, the motion used and
the budget (steps, batch, wall time, steps/s, torch threads).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from posebench_meva.vae import MotionVAE, VAEConfig, VAELossWeights, vae_loss
from posebench_meva.vae_data import (
    AugmentConfig,
    camera_frame_motion,
    crop_dataset,
    eval_windows,
    meva6d_batch,
)
from posebench_meva.vae_eval import baselines_eval, beats_middle_frame, vae_reconstruction_eval
from tqdm.auto import tqdm

from posebench.api import open_dataset
from posebench.body_models import get_body_model
from posebench.config import check_keys
from posebench.data import augment
from posebench.errors import PosebenchError
from posebench.io import write_json
from posebench.models.limits import check_model_size
from posebench.training.checkpoint import load_checkpoint, restore_rng, save_checkpoint
from posebench.training.logging import MetricsLogger, get_logger, read_metrics
from posebench.training.run_folder import check_fresh_run
from posebench.training.seeding import seed_everything

VAE_MODEL_NAME = "meva-vae"
# Datasets whose motion clips are Z-up (converted to Y-up before any augmentation).
Z_UP_DATASETS = ("amass",)


@dataclass
class VAETrainConfig:
    """The ``vae`` section of a MEVA config (the network sizes live in ``model.vae``)."""

    dataset: str | None = None  # None: the dataset MEVA is trained on (e.g. "cmu")
    train_splits: tuple[str, ...] = ("train", "val")
    select_split: str = "val"
    select_every: int = 2  # every 2nd subject (sorted) of select_split is held out for model selection
    test_split: str = "test"
    extra_motion: tuple[str, ...] = ("amass",)  # more motion-only datasets, used when their files are present
    epochs: int = 1000
    steps_per_epoch: int = 977  # MEVA: 500000 samples / batch 512 per epoch
    batch_size: int = 512
    lr: float = 1e-4
    decay_start_frac: float = 0.5
    grad_clip: float = 5.0
    crop_stride: int = 1
    seed: int = 0
    body_model: str = "skeleton"
    allow_weak_prior: bool = False  # let the e2e stage start from a VAE that fails the prior check
    linear_init_windows: int = 6000  # training crops whose PCA starts model.vae.linear_path (when it is on)
    # The linear path's learning rate is lr * this: at the full rate Adam's first steps (about lr per weight)
    # are larger than the PCA weights themselves and wipe out the code the path starts from.
    linear_path_lr_scale: float = 0.01
    loss_weights: dict = field(default_factory=lambda: asdict(VAELossWeights()))
    augment: dict = field(default_factory=lambda: asdict(AugmentConfig()))

    @classmethod
    def from_dict(cls, d: dict | None) -> "VAETrainConfig":
        d = dict(d or {})
        for key in ("train_splits", "extra_motion"):  # one name may stand for a list of one
            if isinstance(d.get(key), str):
                d[key] = [d[key]]
        cfg = cls(**check_keys("MEVA config 'vae'", d, cls))
        if cfg.test_split in cfg.train_splits:
            raise PosebenchError(f"MEVA config 'vae': train_splits {list(cfg.train_splits)} include the test split "
                                 f"{cfg.test_split!r}; the prior must not see the test subjects")
        if cfg.select_every < 1:
            raise PosebenchError(f"MEVA config 'vae': select_every must be >= 1, got {cfg.select_every}")
        return cfg


def lr_factor(epoch: int, epochs: int, decay_start_frac: float) -> float:
    """MEVA's LambdaLR shape scaled to ``epochs``: constant, then linear decay towards 0."""
    d = int(round(decay_start_frac * epochs))
    return 1.0 - max(0, epoch - d) / float(epochs - d + 1)


def _motion(dataset, split: str) -> list:
    if split not in dataset.splits():
        return []
    return list(dataset.motion(split))


def _subjects(clips) -> set[str]:
    return {str(c.subject) for c in clips}


@dataclass
class PriorMotion:
    """What the VAE trains on and is selected / tested on (subjects are disjoint)."""

    train: list  # MotionClips, world frame, Y-up
    select_subjects: set[str]
    test_subjects: set[str]
    sources: dict  # name -> {"clips", "frames"}


def prior_motion(dataset, tcfg: VAETrainConfig, cfg: dict | None = None) -> PriorMotion:
    """Training clips of the prior: ``train_splits`` minus the held-out selection subjects and
    every test subject, plus the ``extra_motion`` datasets whose files are present."""
    log = get_logger()
    ds_name = getattr(dataset, "name", type(dataset).__name__)
    test_subjects = _subjects(_motion(dataset, tcfg.test_split))
    select_all = sorted(_subjects(_motion(dataset, tcfg.select_split)))
    # A select split that also trains the prior gives every select_every-th subject to selection
    # only; without subject names it is held out whole.
    share = tcfg.select_split in tcfg.train_splits and "" not in select_all
    select_subjects = set(select_all[::tcfg.select_every] if share else select_all)
    unseen = {s for s in test_subjects | select_subjects if s}
    train, sources = [], {}
    for split in tcfg.train_splits:
        if split == tcfg.select_split and not share:
            continue
        clips = [c for c in _motion(dataset, split) if str(c.subject) not in unseen]
        if ds_name in Z_UP_DATASETS:
            clips = [augment.z_up_to_y_up(c) for c in clips]
        train += clips
        sources[f"{ds_name}/{split}"] = {"clips": len(clips), "frames": int(sum(len(c) for c in clips))}
    for name in tcfg.extra_motion:
        if name == ds_name:
            continue
        extra = open_dataset(name, cfg or {})
        if not extra.status().found:
            log.info("VAE: no %s files found; the prior trains without them", name)
            continue
        clips = [c for split in extra.splits() if split != "vibe_db" for c in _motion(extra, split)]
        if name in Z_UP_DATASETS:
            clips = [augment.z_up_to_y_up(c) for c in clips]
        train += clips
        sources[name] = {"clips": len(clips), "frames": int(sum(len(c) for c in clips))}
    return PriorMotion(train, select_subjects, test_subjects, sources)


def _linear_init_windows(crops, tcfg: VAETrainConfig) -> torch.Tensor:
    """(N, T, 144) MEVA-6D training crops for the linear path's PCA, drawn as epoch 0 draws them."""
    if tcfg.linear_init_windows < 2:
        raise PosebenchError(f"MEVA config 'vae': linear_init_windows must be >= 2, got {tcfg.linear_init_windows}")
    crops.set_epoch(0)
    idx = np.random.default_rng([tcfg.seed, 1]).integers(0, len(crops), tcfg.linear_init_windows)
    return meva6d_batch(crops, idx)


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


def _optimiser(vae: MotionVAE, tcfg: VAETrainConfig):
    """Adam over the VAE (the linear path, if any, in a second group at ``lr × linear_path_lr_scale``:
    at the full rate Adam's first steps are larger than its PCA weights) and the step decay by epoch."""
    is_linear = {name: name.startswith(("lin_enc.", "lin_dec.")) for name, _ in vae.named_parameters()}
    groups = [{"params": [p for n, p in vae.named_parameters() if not is_linear[n]]}]
    if vae.cfg.linear_path:
        groups.append({"params": [p for n, p in vae.named_parameters() if is_linear[n]],
                       "lr": tcfg.lr * tcfg.linear_path_lr_scale})
    opt = torch.optim.Adam(groups, lr=tcfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: lr_factor(e, tcfg.epochs, tcfg.decay_start_frac))
    return opt, sched


def _resume(last_path: Path, vae: MotionVAE, opt, sched, logger: MetricsLogger, tcfg: VAETrainConfig,
            device) -> tuple[int, float]:
    """Load ``last_path`` into the VAE, optimiser, scheduler and RNGs; returns (epoch to start, best metric)."""
    ckpt = load_checkpoint(last_path, VAE_MODEL_NAME, map_location=device, model=vae, seed=tcfg.seed)
    opt.load_state_dict(ckpt["optimizers"]["vae"])
    sched.load_state_dict(ckpt["schedulers"]["vae"])
    if ckpt.get("rng"):
        restore_rng(ckpt["rng"])
    logger.truncate_after(int(ckpt["step"]))
    get_logger().info("VAE: resumed from %s at epoch %d", last_path, int(ckpt["epoch"]))
    return int(ckpt["epoch"]), float("inf") if ckpt["best_metric"] is None else float(ckpt["best_metric"])


def _train_epoch(vae: MotionVAE, crops, opt, tcfg: VAETrainConfig, weights: VAELossWeights, epoch: int,
                 device, bar) -> dict[str, float]:
    """One epoch of ``steps_per_epoch`` batches; returns the mean of each loss term."""
    crops.set_epoch(epoch)
    rng = np.random.default_rng([tcfg.seed, epoch])  # which crops: a function of (seed, epoch)
    order = rng.integers(0, len(crops), size=(tcfg.steps_per_epoch, tcfg.batch_size))
    sums: dict[str, float] = {}
    for idx in order:
        x = meva6d_batch(crops, idx).to(device)
        recon, mu, logvar = vae(x)
        losses = vae_loss(recon, x, mu, logvar, weights)
        opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), tcfg.grad_clip)
        opt.step()
        bar.update(1)
        for k, v in losses.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
    return {k: v / tcfg.steps_per_epoch for k, v in sums.items()}


def train_vae(cfg: dict, dataset, out_dir: str | Path, device: str = "cpu", resume: bool = False) -> Path:
    """Pretrain MEVA's VAE; returns the path of ``best.pt``.

    ``cfg``: a whole MEVA config (``model.vae`` = network sizes, ``vae`` = this stage's
    options, :class:`VAETrainConfig`). ``dataset``: a dataset object or a registered name.
    The checkpoint kept as ``best.pt`` is the epoch with the lowest MPJPE on the selection clips.
    """
    tcfg = VAETrainConfig.from_dict(cfg.get("vae"))
    net_cfg = VAEConfig.from_dict((cfg.get("model") or {}).get("vae"))
    weights = VAELossWeights(**tcfg.loss_weights)
    if isinstance(dataset, str):
        dataset = open_dataset(dataset, cfg)
    ds_name = getattr(dataset, "name", type(dataset).__name__)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = get_logger()

    # Data: augmented training crops, and the held-out selection clips in camera axes.
    motion = prior_motion(dataset, tcfg, cfg)
    if not motion.train:
        raise PosebenchError(f"dataset {ds_name!r}, splits {list(tcfg.train_splits)}: no motion clips to train the "
                             f"MEVA VAE on")
    crops = crop_dataset(motion.train, AugmentConfig.from_dict(tcfg.augment), net_cfg.t_total, tcfg.crop_stride,
                         tcfg.seed, f"dataset {ds_name!r}, splits {list(tcfg.train_splits)}")
    select_clips = camera_frame_motion(dataset, tcfg.select_split, motion.select_subjects, seed=tcfg.seed)
    val_windows = eval_windows(select_clips, net_cfg.t_total)
    body_model = get_body_model(tcfg.body_model).to(device)
    log.info("VAE: %d training crops from %s; selection on %d %s clips (subjects %s)", len(crops), motion.sources,
             len(select_clips), tcfg.select_split, sorted(motion.select_subjects))

    # Model and optimiser: fresh (the linear path from the PCA of training crops), or resumed.
    seed_everything(tcfg.seed)  # before the VAE exists: the seed fixes the initial weights
    vae = MotionVAE(net_cfg).to(device)
    opt, sched = _optimiser(vae, tcfg)
    last_path, best_path = out_dir / "last.pt", out_dir / "best.pt"
    resuming = resume and last_path.is_file()
    if net_cfg.linear_path and not resuming:  # a resumed run has its linear path in last.pt
        kept = vae.init_linear_path(_linear_init_windows(crops, tcfg).to(device))
        log.info("VAE: linear path set to the PCA of %d training crops (keeps %.1f%% of their variance)",
                 tcfg.linear_init_windows, 100 * kept)
    if not resuming:  # from epoch 0: refuse a used folder (clear it if resuming)
        check_fresh_run(out_dir, overwrite=resume)
    logger = MetricsLogger(out_dir, tensorboard=False)
    start_epoch, best = _resume(last_path, vae, opt, sched, logger, tcfg, device) if resuming else (0, float("inf"))

    # Loop: an epoch of steps, then selection MPJPE, then best.pt (if better) and last.pt.
    step = start_epoch * tcfg.steps_per_epoch
    vae.train()
    bar = tqdm(total=tcfg.epochs * tcfg.steps_per_epoch, initial=step, desc="train meva VAE", unit="step",
               dynamic_ncols=True)
    hparams = net_cfg.to_dict()
    t0 = time.monotonic()
    for epoch in range(start_epoch, tcfg.epochs):
        train_row = _train_epoch(vae, crops, opt, tcfg, weights, epoch, device, bar)
        step += tcfg.steps_per_epoch
        sched.step()
        train_row["lr"] = opt.param_groups[0]["lr"]
        logger.log(step, "train", train_row)
        val_row = {}
        if select_clips:
            val_row["loss"] = _val_loss(vae, val_windows, weights, device) if len(val_windows) else float("nan")
            val_row.update({k: v for k, v in vae_reconstruction_eval(vae, select_clips, body_model).items()
                            if k in ("mpjpe", "pa_mpjpe", "acc_err")})
            logger.log(step, "val", val_row)
            metric = val_row["mpjpe"]
        else:  # nothing held out: the last epoch is the best
            metric = -float(epoch)
        is_best = metric < best
        best = min(best, metric)
        common = dict(model_name=VAE_MODEL_NAME, model=vae, hparams=hparams, step=step, epoch=epoch + 1,
                      best_metric=best, extra={"dataset": ds_name}, seed=tcfg.seed)
        if is_best:
            save_checkpoint(best_path, **common)
        save_checkpoint(last_path, optimizers={"vae": opt}, schedulers={"vae": sched}, **common)
        log.info("VAE epoch %d/%d: train loss %.3f, selection %s", epoch + 1, tcfg.epochs, train_row["loss"], val_row)
        bar.set_postfix(loss=f"{train_row['loss']:.1f}", mpjpe=f"{val_row.get('mpjpe', float('nan')):.1f}")
    bar.close()
    logger.close()
    wall_s = time.monotonic() - t0
    steps_run = step - start_epoch * tcfg.steps_per_epoch

    if not best_path.is_file():  # resumed after the last epoch had already been written
        raise PosebenchError(f"{best_path}: missing; rerun the VAE stage without --resume")
    budget = {"epochs": tcfg.epochs, "steps_per_epoch": tcfg.steps_per_epoch, "batch_size": tcfg.batch_size,
              "total_steps": tcfg.epochs * tcfg.steps_per_epoch, "steps_this_run": steps_run,
              "wall_s_this_run": round(wall_s, 1), "steps_per_s": round(steps_run / wall_s, 3) if steps_run else None,
              "torch_threads": torch.get_num_threads(), "device": str(device)}
    _write_report(best_path, dataset, ds_name, tcfg, motion, body_model, device, out_dir, budget)
    return best_path


def load_vae(path: str | Path, device: str = "cpu") -> MotionVAE:
    """A :class:`MotionVAE` from a checkpoint written by :func:`train_vae`."""
    ckpt = load_checkpoint(path, VAE_MODEL_NAME, map_location=device)
    config = VAEConfig.from_dict(ckpt["hparams"])
    check_model_size(lambda: MotionVAE(config), what=f"{path}: the motion VAE")  # before allocating
    vae = MotionVAE(config).to(device)
    vae.load_state_dict(ckpt["state_dict"])
    return vae.eval()


def _curve(out_dir: Path) -> list[dict]:
    rows = read_metrics(out_dir / "metrics.csv") if (out_dir / "metrics.csv").is_file() else []
    return [{k: r[k] for k in ("step", "mpjpe", "pa_mpjpe", "acc_err") if k in r} for r in rows if r["split"] == "val"]


def _write_report(best_path: Path, dataset, ds_name: str, tcfg: VAETrainConfig, motion: PriorMotion, body_model,
                  device, out_dir: Path, budget: dict) -> dict:
    """Table-1 analog in camera frame: the best VAE and the baselines on the held-out subjects."""
    vae = load_vae(best_path, device)
    report = {"dataset": ds_name, "checkpoint": str(best_path), "frame": "camera", "splits": {},
              "motion": {"sources": motion.sources, "select_subjects": sorted(motion.select_subjects),
                         "test_subjects": sorted(motion.test_subjects)},
              "augment": asdict(AugmentConfig.from_dict(tcfg.augment)), "budget": budget, "curve": _curve(out_dir)}
    for split, subjects in ((tcfg.select_split, motion.select_subjects), (tcfg.test_split, None)):
        clips = camera_frame_motion(dataset, split, subjects, seed=tcfg.seed)
        if clips:
            report["splits"][split] = {"vae": vae_reconstruction_eval(vae, clips, body_model),
                                       "baselines": baselines_eval(clips, body_model)}
    if tcfg.test_split in report["splits"]:
        test = report["splits"][tcfg.test_split]
        report["prior_check"] = {"split": tcfg.test_split, **beats_middle_frame(test["vae"], test["baselines"])}
    write_json(out_dir / "report.json", report)
    return report


def prior_check_failure(report: dict | None, report_path: Path) -> str | None:
    """Why the VAE described by ``report`` (``report.json``) is not a usable prior, or None if it is."""
    if report is None:
        return f"{report_path}: no VAE report; rerun the VAE stage"
    check = report.get("prior_check")
    if not check:
        return f"{report_path}: the report has no 'prior_check' (written by an older posebench); rerun the VAE stage"
    if check["passed"]:
        return None
    split = report["splits"][check["split"]]
    vae, mid = split["vae"], split["baselines"]["middle_frame_repeated"]
    return (f"{report_path}: the VAE does not beat 'middle frame repeated' by {check['required_gain']:.0%} on "
            f"{check['split']} (camera frame): MPJPE {vae['mpjpe']:.1f} vs {mid['mpjpe']:.1f} mm "
            f"({check['gain']['mpjpe']:+.0%}), PA-MPJPE {vae['pa_mpjpe']:.1f} vs {mid['pa_mpjpe']:.1f} mm "
            f"({check['gain']['pa_mpjpe']:+.0%})")


