"""Data-parallel training when launched by ``torchrun`` (env ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``).

- Backend: nccl on CUDA, gloo on CPU.
- The model is wrapped in DistributedDataParallel; every rank starts from rank 0's weights.
- Windows are sharded by rank deterministically (see ``loop.step_batch_indices``).
- Only rank 0 writes checkpoints and logs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "cpu"
    initialised_here: bool = False

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def init_distributed(device: str) -> DistContext:
    """Join the process group when launched by torchrun; otherwise a single-process context.

    ``device`` "cuda" becomes ``cuda:<LOCAL_RANK>`` under DDP.
    """
    if not launched_by_torchrun():
        return DistContext(device=device)
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    is_cuda = str(device).startswith("cuda")
    if is_cuda:
        device = f"cuda:{local_rank}"
        torch.cuda.set_device(local_rank)
    here = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if is_cuda else "gloo")
        here = True
    return DistContext(rank, world, local_rank, device, here)


def wrap_model(model: nn.Module, ctx: DistContext, find_unused_parameters: bool = False) -> nn.Module:
    """DistributedDataParallel around ``model`` under DDP (it broadcasts rank 0's weights); else ``model``."""
    if not ctx.enabled:
        return model
    device_ids = [ctx.local_rank] if str(ctx.device).startswith("cuda") else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids, find_unused_parameters=find_unused_parameters)


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def average_parameters(params, ctx: DistContext) -> None:
    """All-reduce mean of ``params`` in place. Used for parameters a model updates outside the
    DDP backward (e.g. VIBE's discriminator in ``after_step``) so the ranks stay identical."""
    if not ctx.enabled:
        return
    with torch.no_grad():
        for p in params:
            dist.all_reduce(p.data, op=dist.ReduceOp.SUM)
            p.data /= ctx.world_size


def all_reduce_mean(value: float, ctx: DistContext) -> float:
    """Mean of a scalar over ranks (for logging)."""
    if not ctx.enabled:
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64)
    if str(ctx.device).startswith("cuda"):
        t = t.to(ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return float(t.item()) / ctx.world_size


def broadcast_object(obj, ctx: DistContext):
    """Rank 0's ``obj`` on every rank (e.g. the validation result and best-metric decision)."""
    if not ctx.enabled:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(ctx: DistContext) -> None:
    if ctx.enabled:
        dist.barrier()


def cleanup(ctx: DistContext) -> None:
    if ctx.initialised_here and dist.is_initialized():
        dist.destroy_process_group()
