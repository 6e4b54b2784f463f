"""Load VIBE's released checkpoints into this implementation (docs/official_implementations.md §3.2).

``vibe_model_wo_3dpw.pth.tar`` / ``vibe_model_w_3dpw.pth.tar`` are torch checkpoints with keys
``epoch``, ``gen_state_dict``, ``performance``, ``gen_optimizer``, ``disc_motion_state_dict``,
``disc_motion_optimizer``. They are read by :mod:`posebench.training.official_checkpoint`
(``torch.load(weights_only=True)``; numpy scalars, which VIBE's ``performance`` may be, are the
only extras, as checked stand-ins).

- ``gen_state_dict`` holds ``encoder.*`` and ``regressor.*`` under the official names, which
  are this model's names; ``regressor.smpl.*`` (the SMPL layer) is dropped and a leading
  ``module.`` (DataParallel) stripped. The 6D pose layout is SPIN's, as here.
- ``disc_motion_state_dict`` holds ``gru.*``, ``attention.attention.{0,3,6}.*``, ``fc.*``: it
  goes into ``motion_discriminator``. Files without it (the demo needs only the generator)
  leave the discriminator at its initialisation when ``require_discriminator=False``.

Loading is strict: a missing, unexpected or mis-shaped key raises
:class:`~posebench.errors.CheckpointError` naming the key and the file. The released weights
take 2048-d SPIN features, so the model must be built with ``input_dim = feat_dim = 2048`` (the
input adapter is then the identity, without parameters).

Official VIBE weights are under the MPI non-commercial licence; posebench does not ship them.
"""
from __future__ import annotations

from pathlib import Path

import torch

from posebench.errors import CheckpointError
from posebench.nn import drop_official_smpl_keys
from posebench.training.checkpoint import load_model_state
from posebench.training.official_checkpoint import read_official_checkpoint

GEN_KEY = "gen_state_dict"
DISC_KEY = "disc_motion_state_dict"


def read_official_vibe(path: str | Path) -> dict:
    """The checkpoint dict of a released VIBE file; CheckpointError naming the file when it is
    unreadable or has no ``gen_state_dict``."""
    return read_official_checkpoint(path, required_key=GEN_KEY, kind="VIBE checkpoint")


def _clean(state_dict: dict) -> dict:
    sd = dict(state_dict)
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    return drop_official_smpl_keys(sd)


def official_to_state_dict(ckpt: dict, model: torch.nn.Module, source: str = "<VIBE checkpoint>",
                           require_discriminator: bool = True) -> dict:
    """The posebench VIBE state dict for ``model`` from an official checkpoint dict.

    Generator keys keep their names; discriminator keys get the ``motion_discriminator.``
    prefix; the input adapter (identity at 2048 -> 2048) has no keys. Without a discriminator
    in ``ckpt`` and ``require_discriminator=False``, ``model``'s own discriminator weights are used.
    """
    if GEN_KEY not in ckpt:
        raise CheckpointError(f"{source}: missing key {GEN_KEY!r} (has {sorted(ckpt)})")
    state = _clean(ckpt[GEN_KEY])
    clash = [k for k in state if k.startswith("motion_discriminator.")]
    if clash:
        raise CheckpointError(f"{source}: unexpected generator key {clash[0]!r}")
    if DISC_KEY in ckpt and ckpt[DISC_KEY] is not None:
        state.update({f"motion_discriminator.{k}": v for k, v in _clean(ckpt[DISC_KEY]).items()})
    elif require_discriminator:
        raise CheckpointError(f"{source}: missing key {DISC_KEY!r} (has {sorted(ckpt)}); pass "
                              "require_discriminator=False to load the generator only")
    else:
        state.update({k: v for k, v in model.state_dict().items() if k.startswith("motion_discriminator.")})
    return state


def load_official_vibe(model: torch.nn.Module, path_or_ckpt, require_discriminator: bool = True) -> None:
    """Load a released VIBE checkpoint (a path or an already read dict) into a :class:`VIBE`
    built with ``input_dim = feat_dim = 2048``; strict, CheckpointError on any mismatch."""
    if isinstance(path_or_ckpt, dict):
        ckpt, source = path_or_ckpt, "<VIBE checkpoint dict>"
    else:
        ckpt, source = read_official_vibe(path_or_ckpt), str(path_or_ckpt)
    state = official_to_state_dict(ckpt, model, source, require_discriminator)
    load_model_state(model, {"state_dict": state}, source, strict=True)


def build_official_vibe(path_or_ckpt, body_model: str = "skeleton", require_discriminator: bool = False):
    """A VIBE model at the released sizes with the official weights loaded, in eval mode."""
    from posebench_vibe.model import VIBE

    model = VIBE({"body_model": body_model})
    load_official_vibe(model, path_or_ckpt, require_discriminator)
    return model.eval()
