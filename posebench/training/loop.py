"""The core training loop, shared by every model plugin.

    cfg = TrainConfig(steps=2000, batch_size=32, lr=5e-5, val_every=500)
    result = fit(model, train_tracks, val_tracks, cfg, out_dir)   # best.pt, last.pt, metrics.csv

What one step does:

1. take the step's batch of windows (a pure function of ``(seed, step)``, so a resumed run
   sees exactly the batches an uninterrupted one would);
2. ``out = model(batch)``; ``losses = model.training_losses(batch, out)``; backward on
   ``losses["loss"]``; optional gradient clipping; Adam step;
3. ``model.after_step(batch, out)`` (e.g. VIBE's discriminator, with the model's own optimiser);
4. log; validate on the VAL split (never test) and keep ``best.pt`` by ``select_metric``;
   write ``last.pt`` atomically every ``checkpoint_every`` steps.

Optional model hooks: ``extra_optimizers() -> dict[str, Optimizer]`` and
``extra_schedulers() -> dict[str, scheduler]`` (saved/restored with the checkpoint; plateau
schedulers are stepped on the validation metric). The loop runs ``cfg.steps`` optimiser steps;
a comparison's frame budget is turned into steps per model before it (:func:`posebench.training.data.train_config`).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from posebench.config import check_keys
from posebench.devices import check_device, choose_device
from posebench.errors import ConfigError, PosebenchError
from posebench.models.base import PoseModel
from posebench.nn.losses import NonFiniteLossError, check_finite
from posebench.training import distributed as ddp
from posebench.training.checkpoint import load_checkpoint, restore_rng, rng_state, save_checkpoint
from posebench.training.logging import MetricsLogger, get_logger
from posebench.training.run_folder import run_folder
from posebench.training.seeding import MAX_SEED, check_seed, seed_everything
from posebench.training.data import budget_report
from posebench.training.windows import TrackWindows, collate_windows

SCHEDULERS = ("none", "plateau")


class TrainingError(PosebenchError):
    """Training cannot go on (non-finite loss or gradient, no data); names the step and term."""


@dataclass
class TrainConfig:
    steps: int = 1000  # optimiser steps (the comparable budget)
    batch_size: int = 32  # windows per step (per process under DDP)
    lr: float = 5e-5  # VIBE/MEVA generator lr
    weight_decay: float = 0.0
    grad_clip: float | None = None  # max gradient norm; None = no clipping
    val_every: int | str = "epoch"  # steps between validations, or "epoch"
    checkpoint_every: int = 100  # steps between last.pt writes (and always at the end)
    window_stride: int | None = None  # None = model.window (no overlap)
    seed: int = 0
    device: str | None = None  # None = cuda when available, else cpu
    amp: bool = False  # mixed precision, CUDA only
    num_workers: int = 0
    log_every: int = 10
    select_metric: str = "pa_mpjpe"  # lower is better
    scheduler: str = "none"  # "none" | "plateau" (ReduceLROnPlateau on the val metric)
    plateau_factor: float = 0.1
    plateau_patience: int = field(default=5, metadata={"min": 0})  # 0: reduce after one bad validation
    protocol: str = "posebench"  # validation protocol
    val_batch_size: int = 32

    def __post_init__(self):
        """Every value checked, naming the ``train.KEY`` to fix and what it accepts (a ConfigError,
        exit code 2 at the command line): bad values used to surface as tracebacks mid-run, or -
        ``grad_clip=-1`` - as gradient ascent."""
        for name in ("steps", "batch_size", "checkpoint_every", "log_every", "val_batch_size"):
            _int_at_least(name, getattr(self, name), 1)
        for name in ("num_workers", "plateau_patience"):
            _int_at_least(name, getattr(self, name), 0)
        if self.window_stride is not None:
            _int_at_least("window_stride", self.window_stride, 1)
        if self.val_every != "epoch":
            _int_at_least("val_every", self.val_every, 1, also="or 'epoch'")
        _number("lr", self.lr, low=0.0, low_open=True)
        _number("weight_decay", self.weight_decay, low=0.0)
        if self.grad_clip is not None:
            _number("grad_clip", self.grad_clip, low=0.0, low_open=True, also="or None (no clipping)")
        _number("plateau_factor", self.plateau_factor, low=0.0, low_open=True, high=1.0, high_open=True)
        for name in ("amp",):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"train.{name} must be True or False, got {getattr(self, name)!r}")
        for name in ("select_metric", "protocol"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigError(f"train.{name} must be a non-empty string, got {getattr(self, name)!r}")
        if self.scheduler not in SCHEDULERS:
            raise ConfigError(f"train.scheduler must be one of {SCHEDULERS}, got {self.scheduler!r}")
        try:
            self.seed = check_seed(self.seed)
        except PosebenchError as exc:
            raise ConfigError(f"train.{exc}") from None
        if self.device is not None:
            self.device = check_device(self.device, option="train.device")

    @classmethod
    def from_dict(cls, d: dict | None) -> "TrainConfig":
        return cls(**check_keys("training options", d, cls))


def _int_at_least(name: str, value, low: int, also: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"train.{name} must be an integer >= {low}{' ' + also if also else ''}, got {value!r}")


def _number(name: str, value, *, low: float | None = None, high: float | None = None, low_open: bool = False,
            high_open: bool = False, also: str = "") -> None:
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        left = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        right = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
        bounds = " and ".join(b for b in (left, right) if b)
        raise ConfigError(f"train.{name} must be a finite number {bounds}{' ' + also if also else ''}, got {value!r}")


@dataclass
class TrainResult:
    best_path: Path | None  # None when there was no validation data
    last_path: Path
    history: list[dict] = field(default_factory=list)  # metrics.csv rows (train and val)
    best_metric: float | None = None
    steps: int = 0


def step_batch_indices(step: int, n_items: int, batch_size: int, seed: int, world_size: int = 1, rank: int = 0) -> list[int]:
    """Window indices of ``rank``'s share of step ``step`` (0-based): a pure function of its arguments.

    The windows form an endless stream of per-epoch permutations (epoch e shuffled by
    ``default_rng([seed, e])``); step s takes the next ``batch_size * world_size`` of them
    and rank r the r-th slice of ``batch_size``.
    """
    start = (step * world_size + rank) * batch_size
    out, perms = [], {}
    for pos in range(start, start + batch_size):
        epoch, i = divmod(pos, n_items)
        if epoch not in perms:
            perms[epoch] = np.random.default_rng([seed, epoch]).permutation(n_items)
        out.append(int(perms[epoch][i]))
    return out


class StepBatchSampler(Sampler):
    """Yields the batches of steps ``start_step .. stop_step - 1`` (see :func:`step_batch_indices`)."""

    def __init__(self, n_items: int, batch_size: int, seed: int, start_step: int, stop_step: int,
                 world_size: int = 1, rank: int = 0):
        self.n_items, self.batch_size, self.seed = n_items, batch_size, seed
        self.start_step, self.stop_step = start_step, stop_step
        self.world_size, self.rank = world_size, rank

    def __len__(self) -> int:
        return max(self.stop_step - self.start_step, 0)

    def __iter__(self):
        for step in range(self.start_step, self.stop_step):
            yield step_batch_indices(step, self.n_items, self.batch_size, self.seed, self.world_size, self.rank)


def validate(model: PoseModel, val_tracks, cfg: TrainConfig, device: str, protocol) -> dict[str, float]:
    """Score ``model`` on the validation tracks (VAL split only) with the harness's evaluation under
    ``protocol`` (the :class:`posebench.metrics.protocols.Protocol` named by ``cfg.protocol``)."""
    from posebench.evaluation import evaluate

    result = evaluate(model, val_tracks, split="val", protocol=protocol, device=device,
                      batch_size=cfg.val_batch_size)
    return {k: float(v) for k, v in result.summary.items() if isinstance(v, (int, float, np.floating))}


def _model_hook(model, name: str) -> dict:
    hook = getattr(model, name, None)
    return dict(hook()) if callable(hook) else {}


def _step_schedulers(schedulers: dict, metric: float) -> None:
    for sched in schedulers.values():
        if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            sched.step(metric)
        else:
            sched.step()


def fit(model: PoseModel, train_tracks, val_tracks, cfg: TrainConfig, out_dir: str | Path, *,
        resume: bool = False, progress: bool = True, extra_state: dict | None = None,
        overwrite: bool = False, protocol=None) -> TrainResult:
    """Train ``model`` for ``cfg.steps`` optimiser steps; see the module docstring.

    ``train_tracks``/``val_tracks``: lists of :class:`Track` (``val_tracks`` may be None or empty:
    no validation, no best.pt). ``extra_state``: ``{name: obj}`` with ``state_dict()`` and
    ``load_state_dict()`` saved in and restored from the checkpoint (e.g. a motion-data cursor).
    ``resume=True`` continues from ``out_dir/last.pt`` (an error when it does not exist, or when
    it was trained with another seed). ``out_dir`` is held for the run (:mod:`run_folder`): a
    second writer fails, and a fresh run into a folder that holds one fails unless ``overwrite``.
    ``protocol``: the validation :class:`~posebench.metrics.protocols.Protocol` (``cfg.protocol``
    resolved by the caller, e.g. ``posebench.get_protocol(cfg.protocol)``); needed with ``val_tracks``.
    """
    if val_tracks and protocol is None:
        raise PosebenchError(f"fit: validating needs the protocol object (protocol=, e.g. "
                             f"posebench.get_protocol({cfg.protocol!r})); this module does not look names up")
    with run_folder(out_dir, resume=resume, overwrite=overwrite):
        return _fit(model, train_tracks, val_tracks, cfg, Path(out_dir), resume=resume, progress=progress,
                    extra_state=extra_state, protocol=protocol)


def _fit(model: PoseModel, train_tracks, val_tracks, cfg: TrainConfig, out_dir: Path, *, resume: bool,
         progress: bool, extra_state: dict | None, protocol) -> TrainResult:
    log = get_logger()
    ctx = ddp.init_distributed(choose_device(cfg.device))
    device = ctx.device
    model_name = model.name
    # The model was built (and its weights drawn) after the trainer's seed_everything(seed); this
    # reseed gives each rank its own dropout/noise stream, independent of how many draws the
    # model's construction took.
    seed_everything((cfg.seed + ctx.rank) % (MAX_SEED + 1))

    data = TrackWindows(train_tracks, model.window, cfg.window_stride or model.window, model.inputs)
    if len(data) == 0:
        raise TrainingError(f"no training windows: every track is shorter than the model's window ({model.window} frames)")
    steps_per_epoch = math.ceil(len(data) / (cfg.batch_size * ctx.world_size))
    val_every = steps_per_epoch if cfg.val_every == "epoch" else int(cfg.val_every)
    has_val = bool(val_tracks)

    model.to(device)
    extra_optimizers = _model_hook(model, "extra_optimizers")
    extra_schedulers = _model_hook(model, "extra_schedulers")
    extra_ids = {id(p) for opt in extra_optimizers.values() for g in opt.param_groups for p in g["params"]}
    params = [p for p in model.parameters() if p.requires_grad and id(p) not in extra_ids]
    if not params:
        raise TrainingError(f"model {model_name!r} has no trainable parameters")
    optimizer = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedulers = {}
    if cfg.scheduler == "plateau":
        schedulers["main"] = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=cfg.plateau_factor, patience=cfg.plateau_patience)
    use_amp = bool(cfg.amp) and str(device).startswith("cuda")
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
    all_optimizers = {"main": optimizer, **{f"extra.{k}": v for k, v in extra_optimizers.items()}}
    all_schedulers = {**schedulers, **{f"extra.{k}": v for k, v in extra_schedulers.items()}}
    extra_state = dict(extra_state or {})

    last_path, best_path = out_dir / "last.pt", out_dir / "best.pt"
    metrics = MetricsLogger(out_dir, enabled=ctx.is_main)
    start_step, best_metric = 0, math.inf
    prior_wall_s, started = 0.0, time.monotonic()  # training wall time, summed over resumed runs
    if resume:
        if not last_path.is_file():
            raise TrainingError(f"{last_path}: cannot resume, no last checkpoint in {out_dir}")
        ckpt = load_checkpoint(last_path, model_name=model_name, map_location=device, model=model, seed=cfg.seed)
        for name, opt in all_optimizers.items():
            opt.load_state_dict(ckpt["optimizers"][name])
        for name, sched in all_schedulers.items():
            sched.load_state_dict(ckpt["schedulers"][name])
        if "scaler" in ckpt["extra"]:
            scaler.load_state_dict(ckpt["extra"]["scaler"])
        for name, obj in extra_state.items():
            obj.load_state_dict(ckpt["extra"]["state"][name])
        start_step = int(ckpt["step"])
        prior_wall_s = float((ckpt["extra"].get("budget") or {}).get("wall_s", 0.0))
        best_metric = math.inf if ckpt["best_metric"] is None else float(ckpt["best_metric"])
        rngs = ckpt["extra"].get("rng_per_rank")
        restore_rng(rngs[ctx.rank] if rngs else ckpt["rng"])
        metrics.truncate_after(start_step)
        log.info("resumed %s from %s at step %d", model_name, last_path, start_step)
    history: list[dict] = [dict(r) for r in metrics.rows]

    def save(path: Path, step: int) -> None:
        # Every rank's RNG goes into the checkpoint so a DDP resume is exact too.
        rngs = [rng_state()]
        if ctx.enabled:
            rngs = [None] * ctx.world_size
            torch.distributed.all_gather_object(rngs, rng_state())
        if not ctx.is_main:
            return
        extra = {"scaler": scaler.state_dict(), "state": {k: v.state_dict() for k, v in extra_state.items()},
                 "rng_per_rank": rngs if ctx.enabled else None, "train_config": asdict(cfg),
                 # The declared budget a comparison reports: steps, frames seen, wall time.
                 "budget": {**budget_report(step, cfg.batch_size * ctx.world_size, model.window),
                            "wall_s": round(prior_wall_s + time.monotonic() - started, 3)},
                 "supervision_2d": data.supervision_2d}
        save_checkpoint(path, model_name=model_name, model=model, hparams=model.hparams, optimizers=all_optimizers,
                        schedulers=all_schedulers, step=step, epoch=step // steps_per_epoch,
                        best_metric=None if math.isinf(best_metric) else best_metric, extra=extra, seed=cfg.seed)

    train_model = ddp.wrap_model(model, ctx, find_unused_parameters=bool(extra_optimizers))
    sampler = StepBatchSampler(len(data), cfg.batch_size, cfg.seed, start_step, cfg.steps, ctx.world_size, ctx.rank)
    # Its own generator: creating the iterator must not draw from the global RNG (exact resume).
    loader = DataLoader(data, batch_sampler=sampler, collate_fn=collate_windows, num_workers=cfg.num_workers,
                        pin_memory=str(device).startswith("cuda"),
                        generator=torch.Generator().manual_seed(cfg.seed + ctx.rank))
    bar = None
    if progress and ctx.is_main:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, initial=start_step, desc=f"train {model_name}", unit="step", dynamic_ncols=True)

    model.train()
    step = start_step
    finished = False
    try:
        for batch in loader:
            step += 1
            batch = batch.to(device)
            with torch.autocast("cuda", dtype=amp_dtype, enabled=use_amp):
                out = train_model(batch)
                try:
                    losses = model.training_losses(batch, out)
                except NonFiniteLossError as exc:
                    raise TrainingError(f"{model_name}: loss term {exc.term!r} is {exc.value} at step {step}") from exc
            if "loss" not in losses:
                raise TrainingError(f"{model_name}.training_losses returned no 'loss' entry (got {sorted(losses)})")
            try:
                check_finite(losses, where=f"at step {step}")
            except NonFiniteLossError as exc:
                raise TrainingError(f"{model_name}: loss term {exc.term!r} is {exc.value} at step {step}") from exc

            optimizer.zero_grad(set_to_none=True)
            scaler.scale(losses["loss"]).backward()
            if cfg.grad_clip:
                scaler.unscale_(optimizer)
                grad_norm = float(torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip))
                if not math.isfinite(grad_norm):
                    raise TrainingError(f"{model_name}: gradient norm is {grad_norm} at step {step}")
            scaler.step(optimizer)
            scaler.update()
            extra_logs = model.after_step(batch, out) or {}
            if extra_optimizers and ctx.enabled:
                ddp.average_parameters([p for opt in extra_optimizers.values() for g in opt.param_groups
                                        for p in g["params"]], ctx)

            if step % cfg.log_every == 0 or step == cfg.steps:
                values = {k: ddp.all_reduce_mean(float(v.detach()), ctx) for k, v in losses.items()}
                values.update({k: ddp.all_reduce_mean(float(v), ctx) for k, v in extra_logs.items()})
                values["lr"] = optimizer.param_groups[0]["lr"]
                history.append(metrics.log(step, "train", values))
                if bar is not None:
                    bar.set_postfix(loss=f"{values['loss']:.4g}")

            if has_val and (step % val_every == 0 or step == cfg.steps):
                # Validation must not change the training randomness (resume exactness).
                saved_rng = rng_state()
                scores = validate(model, val_tracks, cfg, device, protocol) if ctx.is_main else None
                restore_rng(saved_rng)
                model.train()
                scores = ddp.broadcast_object(scores, ctx)
                if cfg.select_metric not in scores:
                    raise TrainingError(f"validation has no metric {cfg.select_metric!r} (has {sorted(scores)})")
                metric = float(scores[cfg.select_metric])
                _step_schedulers(all_schedulers, metric)
                history.append(metrics.log(step, "val", scores))
                log.info("step %d: val %s = %.3f", step, cfg.select_metric, metric)
                if metric < best_metric:
                    best_metric = metric
                    save(best_path, step)

            if step % cfg.checkpoint_every == 0 or step == cfg.steps:
                save(last_path, step)
            if bar is not None:
                bar.update(1)
        finished = True
    finally:
        if bar is not None:
            bar.close()
        metrics.close()
        if finished:  # a failed rank must not wait for the others at a barrier
            ddp.barrier(ctx)
        ddp.cleanup(ctx)
    return TrainResult(best_path=best_path if has_val else None, last_path=last_path, history=history,
                       best_metric=None if math.isinf(best_metric) else best_metric, steps=step)
