"""Which torch device a command runs on: checked once, with the accepted values named."""
from __future__ import annotations

import re

from posebench.errors import UsageError

_DEVICE = re.compile(r"^(cpu|cuda|mps)(:(\d+))?$")


def check_device(device, option: str = "--device") -> str:
    """``device`` if torch can use it here: ``cpu``, ``cuda``, ``cuda:N`` (N < the GPU count) or ``mps``.

    Raises :class:`UsageError` naming ``option``, the accepted values, and - for an unavailable
    accelerator - what this machine has.
    """
    import torch

    match = _DEVICE.match(str(device).strip().lower()) if isinstance(device, str) else None
    if match is None:
        raise UsageError(f"{option} must be cpu, cuda, cuda:N or mps, got {device!r}")
    kind, index = match.group(1), match.group(3)
    if kind == "cpu" and index not in (None, "0"):
        raise UsageError(f"{option}: there is only one cpu device, got {device!r}")
    if kind == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise UsageError(f"{option} {device}: CUDA is not available here (torch {torch.__version__}, "
                             f"CUDA build {torch.version.cuda}); use --device cpu")
        if index is not None and int(index) >= count:
            raise UsageError(f"{option} {device}: this machine has {count} CUDA device(s), cuda:0..cuda:{count - 1}")
    if kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UsageError(f"{option} {device}: Apple MPS is not available here; use --device cpu")
    return match.group(0)


def choose_device(device: str | None = None) -> str:
    """``device`` as given, or - for None - ``cuda`` when torch sees a GPU, else ``cpu``: the one
    rule every command and the training loop use for an unspecified device."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
