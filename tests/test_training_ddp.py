"""DDP: two CPU processes on gloo, launched by torchrun, end with identical weights."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

WORKER = textwrap.dedent("""
    import os, sys
    import torch
    sys.path.insert(0, {tests_dir!r})
    from posebench.training import TrainConfig, fit
    from training_fixtures import TinyModel, make_tracks

    torch.manual_seed(0)
    model = TinyModel()
    cfg = TrainConfig(steps=4, batch_size=2, lr=1e-3, val_every=100, checkpoint_every=2, log_every=1, seed=1,
                      device="cpu")
    result = fit(model, make_tracks(2, 24), None, cfg, {out_dir!r}, progress=False)
    rank = int(os.environ["RANK"])
    torch.save({{"state": model.state_dict(), "history": result.history}}, os.path.join({out_dir!r}, f"rank{{rank}}.pt"))
""")


@pytest.mark.slow
def test_two_gloo_processes_end_with_identical_weights(tmp_path):
    out_dir = tmp_path / "run"
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(tests_dir=str(Path(__file__).parent), out_dir=str(out_dir)))
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    r0 = torch.load(out_dir / "rank0.pt", weights_only=False)
    r1 = torch.load(out_dir / "rank1.pt", weights_only=False)
    assert all(torch.equal(r0["state"][k], r1["state"][k]) for k in r0["state"])
    torch.manual_seed(0)
    from training_fixtures import TinyModel

    init = TinyModel().state_dict()
    assert any(not torch.equal(init[k], r0["state"][k]) for k in init)  # it did train
    # only rank 0 writes; its checkpoint holds the final weights
    ckpt = torch.load(out_dir / "last.pt", weights_only=True)
    assert ckpt["step"] == 4 and all(torch.equal(ckpt["state_dict"][k], r0["state"][k]) for k in init)
    assert len(ckpt["extra"]["rng_per_rank"]) == 2
    # logged losses are averaged over the ranks, hence the same on both
    assert [r["loss"] for r in r0["history"]] == [r["loss"] for r in r1["history"]] and len(r0["history"]) == 4
