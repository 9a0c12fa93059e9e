"""torch.distributed set-up from torchrun's environment: gloo on CPU, NCCL on GPU."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from workloads import contract


@dataclass(frozen=True)
class Dist:
    rank: int
    local_rank: int
    world_size: int
    device: torch.device

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup() -> Dist:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1); pick this rank's device."""
    world_size = int(os.environ.get(contract.ENV_WORLD_SIZE, "1"))
    rank = int(os.environ.get(contract.ENV_RANK, "0"))
    local_rank = int(os.environ.get(contract.ENV_LOCAL_RANK, "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, timeout=timedelta(minutes=30),
                                **({"device_id": device} if device.type == "cuda" else {}))
    if device.type == "cpu" and world_size > 1:
        # Share the cores between the local processes instead of oversubscribing them.
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", world_size))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))
    return Dist(rank=rank, local_rank=local_rank, world_size=world_size, device=device)


def barrier(d: Dist) -> None:
    if d.enabled:
        dist.barrier()


def any_rank(d: Dist, flag: bool) -> bool:
    """True on every rank if `flag` is true on any (e.g. only one rank got SIGTERM)."""
    if not d.enabled:
        return flag
    tensor = torch.tensor([1.0 if flag else 0.0], device=d.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())


def mean(d: Dist, value: torch.Tensor) -> torch.Tensor:
    if d.enabled:
        value = value.clone()
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
        value /= d.world_size
    return value


def gather_objects(d: Dist, obj: Any) -> list[Any]:
    """Every rank's `obj`, in rank order, on every rank."""
    if not d.enabled:
        return [obj]
    out: list[Any] = [None] * d.world_size
    dist.all_gather_object(out, obj)
    return out


def teardown(d: Dist) -> None:
    if d.enabled and dist.is_initialized():
        dist.destroy_process_group()
