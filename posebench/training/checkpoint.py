"""Checkpoints: atomic, self-describing, resumable.

Layout (a plain dict saved with ``torch.save``; loadable with ``weights_only=True``)::

    format        "posebench-checkpoint-v1"
    model_name    registry name of the model ("meva", "vibe", ...)
    state_dict    model.state_dict()
    hparams       model.hparams (what build_model(name, cfg) accepts)
    optimizers    {name: optimizer.state_dict()}
    schedulers    {name: scheduler.state_dict()}
    step, epoch, best_metric
    seed          the run's seed (None when unknown); a resume with another seed is refused
    rng           torch (CPU and CUDA), numpy and python RNG states, or None
    extra         anything else the caller stores (plain types and tensors)
    meta          posebench and torch versions, creation time
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from posebench.errors import CheckpointError, PosebenchError
from posebench.io import torch_save
from posebench.models.limits import check_model_size
from posebench.training.official_checkpoint import read_torch_file
from posebench.versions import distribution_version

FORMAT = "posebench-checkpoint-v1"
REQUIRED_KEYS = ("format", "model_name", "state_dict", "hparams", "step")


def rng_state() -> dict:
    """Every RNG the training touches, as tensors/plain types (safe for ``weights_only`` loading)."""
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"name": np_name, "keys": torch.from_numpy(np_keys.astype(np.int64)), "pos": int(np_pos),
                  "has_gauss": int(np_has_gauss), "gauss": float(np_gauss)},
        "python": random.getstate(),
    }  # fmt: skip


def restore_rng(state: dict) -> None:
    """Restore the RNG states written by :func:`rng_state`."""
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def save_checkpoint(
    path: str | Path,
    *,
    model_name: str,
    model: torch.nn.Module,
    hparams: dict,
    optimizers: dict | None = None,
    schedulers: dict | None = None,
    step: int = 0,
    epoch: int = 0,
    best_metric: float | None = None,
    rng_state: bool = True,
    extra: dict | None = None,
    seed: int | None = None,
) -> Path:
    """Write a checkpoint atomically (a reader sees the old file or the new one). Returns the path."""
    module = getattr(model, "module", model)  # unwrap DistributedDataParallel
    ckpt = {
        "format": FORMAT,
        "model_name": str(model_name),
        "state_dict": module.state_dict(),
        "hparams": dict(hparams),
        "optimizers": {k: o.state_dict() for k, o in (optimizers or {}).items()},
        "schedulers": {k: s.state_dict() for k, s in (schedulers or {}).items()},
        "step": int(step),
        "epoch": int(epoch),
        "best_metric": None if best_metric is None else float(best_metric),
        "seed": None if seed is None else int(seed),
        "rng": _current_rng() if rng_state else None,
        "extra": extra or {},
        "meta": {"posebench_version": distribution_version(), "torch_version": str(torch.__version__),
                 "created": time.strftime("%Y-%m-%dT%H:%M:%S")},
    }  # fmt: skip
    path = Path(path)
    torch_save(path, ckpt)
    return path


_current_rng = rng_state  # save_checkpoint's ``rng_state`` flag shadows the function name


def checkpoint_seed(ckpt: dict) -> int | None:
    """The seed a checkpoint was trained with (older checkpoints: the saved train config's), or None."""
    if ckpt.get("seed") is not None:
        return int(ckpt["seed"])
    train_config = (ckpt.get("extra") or {}).get("train_config") or {}
    return None if train_config.get("seed") is None else int(train_config["seed"])


def load_checkpoint(path: str | Path, model_name: str | None = None, map_location="cpu",
                    model: torch.nn.Module | None = None, strict: bool = True, seed: int | None = None) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises :class:`CheckpointError` naming the file when it is unreadable, lacks required keys,
    belongs to another model (``model_name`` differs), was trained with another ``seed`` (a
    resume must not silently mix two runs), or - when ``model`` is given - its state dict does
    not match the model's keys (then the weights are loaded into ``model``).
    """
    path = Path(path)
    ckpt = read_torch_file(path, map_location=map_location)  # weights only; one-line CheckpointError
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"{path}: not a posebench checkpoint (top level is {type(ckpt).__name__})")
    missing = [k for k in REQUIRED_KEYS if k not in ckpt]
    if missing:
        raise CheckpointError(f"{path}: not a posebench checkpoint, missing keys {missing}")
    if model_name is not None and ckpt["model_name"] != model_name:
        raise CheckpointError(f"{path}: checkpoint belongs to model {ckpt['model_name']!r}, not {model_name!r}")
    saved_seed = checkpoint_seed(ckpt)
    if seed is not None and saved_seed is not None and saved_seed != int(seed):
        raise CheckpointError(f"{path}: this run was trained with seed {saved_seed}, not {seed}; "
                              f"resume with --seed {saved_seed} or start a new run without --resume")
    if model is not None:
        load_model_state(model, ckpt, path, strict=strict)
    return ckpt


def load_model_state(model: torch.nn.Module, ckpt: dict, path: str | Path = "<checkpoint>", strict: bool = True) -> None:
    """Load ``ckpt["state_dict"]`` into ``model``; CheckpointError naming the file on a key mismatch."""
    module = getattr(model, "module", model)
    state = ckpt["state_dict"]
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if strict and (missing or unexpected):
        raise CheckpointError(
            f"{path}: state dict does not match model {getattr(module, 'name', type(module).__name__)!r}: "
            f"missing keys {missing[:10]}{'...' if len(missing) > 10 else ''}, "
            f"unexpected keys {unexpected[:10]}{'...' if len(unexpected) > 10 else ''}"
        )
    bad = [k for k in set(own) & set(state) if tuple(own[k].shape) != tuple(state[k].shape)]
    if bad:
        raise CheckpointError(
            f"{path}: shape mismatch for {sorted(bad)[:10]}: "
            + ", ".join(f"{k} {tuple(state[k].shape)} vs model {tuple(own[k].shape)}" for k in sorted(bad)[:3])
        )
    module.load_state_dict(state, strict=strict)


def load_model(path: str | Path, *, build: Callable[[str, dict], torch.nn.Module], map_location="cpu",
               model_name: str | None = None) -> torch.nn.Module:
    """Rebuild a model from a checkpoint (its ``model_name`` + ``hparams``) and load its weights.

    ``build(model_name, hparams)`` makes the model (the caller at the edge passes
    :func:`posebench.registry.build_model`). With ``model_name``, the checkpoint must belong to
    that model (CheckpointError otherwise); the hparams are checked by building the model from
    them (unknown keys, bad values) and the weights against the built model's keys and shapes,
    each failure naming the file.
    """
    return model_from_checkpoint(load_checkpoint(path, model_name=model_name, map_location=map_location), path,
                                 build=build)


def model_from_checkpoint(ckpt: dict, path: str | Path, *, build: Callable[[str, dict], torch.nn.Module]
                          ) -> torch.nn.Module:
    """The model of ``ckpt`` (read by :func:`load_checkpoint` from ``path``, which errors name), in
    eval mode, built and loaded as :func:`load_model` does."""
    build_model = build
    if not isinstance(ckpt["hparams"], dict):
        raise CheckpointError(f"{path}: hparams is a {type(ckpt['hparams']).__name__}, not a dict")
    try:
        check_model_size(lambda: build_model(ckpt["model_name"], ckpt["hparams"]), what="the model")  # before allocating
        model = build_model(ckpt["model_name"], ckpt["hparams"])
    except PosebenchError as exc:
        raise CheckpointError(f"{path}: its hparams do not build model {ckpt['model_name']!r}: {exc}") from exc
    load_model_state(model, ckpt, path)
    return model.eval()


def training_budget(ckpt: dict) -> dict | None:
    """The budget checkpoint ``ckpt`` (read by :func:`load_checkpoint`) was trained with: optimiser
    steps, batch size, window, frames seen and wall time (``posebench.training.data.budget_report``
    + ``wall_s``), plus the 2D supervision used; None for checkpoints written before budgets were recorded."""
    extra = ckpt.get("extra") or {}
    budget = extra.get("budget")
    return None if budget is None else {**budget, "supervision_2d": extra.get("supervision_2d")}
