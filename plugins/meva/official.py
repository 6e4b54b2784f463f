"""Load MEVA's released weights into this implementation (docs/official_implementations.md §3.3).

- ``model_best.pth.tar`` (``train_meva_2``): a torch checkpoint whose ``gen_state_dict``
  holds the whole model, the frozen VAE included (``vae_model.*``). Read by
  :mod:`posebench.training.official_checkpoint` (weights only; ``performance`` is a numpy scalar).
- ``model_*.p`` (``vae_rec_2``): a plain Python pickle ``{'model_dict': state_dict}`` of torch
  tensors. Read with the allow-list unpickler resolving only the few globals a pickled tensor
  needs; each storage's inner bytes go through ``torch.load(weights_only=True)``, and every
  tensor must lie inside its storage (torch would grow it with uninitialised memory).

Key names and shapes are the official ones already, so loading is strict: ``smpl.*`` and
``*.smpl.*`` (the SMPL layers) are dropped, a leading ``module.`` (DataParallel) is
stripped, and any other missing, unexpected or mis-shaped key raises
:class:`~posebench.errors.CheckpointError` naming the key and the file. The MEVA 6D layout
is kept as is (the regressor decodes poses in that layout).

Official MEVA weights are under CMU's non-commercial licence; posebench does not ship them.
"""
from __future__ import annotations

import collections
import io
from pathlib import Path

import torch
from torch import nn

from posebench.data.safe_pickle import ALLOWED_GLOBALS, restricted_load
from posebench.errors import CheckpointError, DataFormatError
from posebench.nn import drop_official_smpl_keys
from posebench.training.official_checkpoint import read_official_checkpoint


def _load_storage_bytes(b: bytes):
    """Replacement for ``torch.storage._load_from_bytes`` that refuses arbitrary objects."""
    if not isinstance(b, (bytes, bytearray)):
        raise ValueError(f"storage bytes expected, got {type(b).__name__}")
    try:
        storage = torch.load(io.BytesIO(b), weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError ... for malformed bytes
        raise ValueError(f"malformed tensor storage: {type(exc).__name__}: {str(exc)[:200]}") from None
    if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
        raise ValueError(f"expected a tensor storage, got {type(storage).__name__}")
    return storage


def _int_tuple(value, what: str) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list, torch.Size)) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise ValueError(f"tensor {what} must be non-negative ints, got {value!r:.80}")
    return tuple(value)


def _rebuild_tensor_checked(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                            *_metadata):
    """``torch._utils._rebuild_tensor_v2`` after checking that the tensor lies inside its storage:
    torch grows a too-small storage with uninitialised memory instead of refusing."""
    if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
        raise ValueError(f"tensor storage expected, got {type(storage).__name__}")
    if backward_hooks:
        raise ValueError("refused tensor with backward hooks")
    size, stride = _int_tuple(size, "size"), _int_tuple(stride, "stride")
    if len(size) != len(stride) or not isinstance(storage_offset, int) or storage_offset < 0:
        raise ValueError(f"bad tensor geometry: size {size}, stride {stride}, offset {storage_offset!r:.40}")
    typed = isinstance(storage, torch.TypedStorage)
    available = storage.size() if typed else storage.nbytes()  # elements of a typed storage
    needed = storage_offset + (1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0)
    if needed > available:
        raise ValueError(f"tensor of size {size} (stride {stride}, offset {storage_offset}) needs {needed} "
                         f"storage elements, the storage holds {available}")
    return torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, bool(requires_grad),
                                           collections.OrderedDict())


def _rebuild_parameter_checked(data, requires_grad=True, backward_hooks=None):
    if not isinstance(data, torch.Tensor) or backward_hooks:
        raise ValueError("malformed parameter (data must be a tensor, no backward hooks)")
    return torch.nn.Parameter(data, bool(requires_grad))


_TENSOR_GLOBALS = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_checked,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter_checked,
    ("torch.storage", "_load_from_bytes"): _load_storage_bytes,
    ("collections", "OrderedDict"): collections.OrderedDict,
}


_TENSOR_GLOBALS = {f"{m}.{n}": obj for (m, n), obj in _TENSOR_GLOBALS.items()}
_TENSOR_GLOBALS["_codecs.encode"] = ALLOWED_GLOBALS["_codecs.encode"]  # bytes in protocol-2 pickles


def load_tensor_pickle(path: str | Path):
    """Unpickle a plain pickle of torch tensors in plain containers (MEVA's ``model_*.p``)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: file not found")
    with open(path, "rb") as f:
        try:
            return restricted_load(f, source=str(path), allowed=_TENSOR_GLOBALS, encoding="ASCII")
        except DataFormatError as exc:  # refused global, truncated or corrupt file
            raise CheckpointError(f"{exc} (expected a pickle of torch tensors)") from exc


def _clean(state_dict: dict) -> dict:
    sd = dict(state_dict)
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    return drop_official_smpl_keys(sd)


def load_state_strict(module: nn.Module, state_dict: dict, source: str) -> None:
    """Load ``state_dict`` into ``module``; every key and shape must match (after dropping
    SMPL keys). Raises CheckpointError naming the key and ``source``."""
    sd = _clean(state_dict)
    own = module.state_dict()
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    if missing:
        raise CheckpointError(
            f"{source}: missing key {missing[0]!r} for {type(module).__name__}"
            + (f" (and {len(missing) - 1} more: {missing[1:6]})" if len(missing) > 1 else "")
        )
    if unexpected:
        raise CheckpointError(
            f"{source}: unexpected key {unexpected[0]!r} for {type(module).__name__}"
            + (f" (and {len(unexpected) - 1} more: {unexpected[1:6]})" if len(unexpected) > 1 else "")
        )
    for k, v in own.items():
        if not isinstance(sd[k], torch.Tensor):
            raise CheckpointError(f"{source}: key {k!r} is a {type(sd[k]).__name__}, not a tensor")
        if tuple(sd[k].shape) != tuple(v.shape):
            raise CheckpointError(
                f"{source}: key {k!r} has shape {tuple(sd[k].shape)}, the model expects {tuple(v.shape)}"
            )
    module.load_state_dict(sd, strict=True)


def read_official_vae_state(path: str | Path) -> dict:
    """The VAE state dict of a ``model_*.p`` file (``{'model_dict': state_dict}``)."""
    obj = load_tensor_pickle(path)
    if not isinstance(obj, dict) or "model_dict" not in obj:
        keys = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise CheckpointError(f"{path}: expected a dict with key 'model_dict' (MEVA VAE file), got {keys}")
    return dict(obj["model_dict"])


def read_official_meva_state(path: str | Path) -> dict:
    """The ``gen_state_dict`` of a ``model_best.pth.tar`` file (``performance`` may be a numpy scalar)."""
    ckpt = read_official_checkpoint(path, required_key="gen_state_dict", kind="MEVA checkpoint")
    return dict(ckpt["gen_state_dict"])


def load_official_vae(vae: nn.Module, path: str | Path) -> None:
    """Load a released ``model_*.p`` into a :class:`~posebench_meva.vae.MotionVAE` (or a MEVA
    model's ``vae_model``)."""
    target = getattr(vae, "vae_model", vae)
    load_state_strict(target, read_official_vae_state(path), str(path))


def load_official_meva(model: nn.Module, path: str | Path) -> None:
    """Load a released ``model_best.pth.tar`` into a :class:`~posebench_meva.model.MEVA` built
    with the paper sizes (``input_dim = feat_dim = 2048``, so the input adapter is the identity)."""
    load_state_strict(model, read_official_meva_state(path), str(path))
