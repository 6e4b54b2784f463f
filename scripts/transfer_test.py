"""Does benchmark v2 train models that transfer better to real detections than v1?

    python scripts/transfer_test.py --models meva,vibe,hmmr --config quick --seeds 0,1,2 \
        --out transfer/ --aistpp ../shared/realdata/aistpp

For each model and seed it takes the model trained on v2 with the default AIST++-calibrated
detector (the default ``cmu`` build: the run ``posebench train MODEL --config CONFIG --seed S``
makes, and ``posebench compare`` uses; trained here if missing) and the model trained on the v1
CMU benchmark (``cmu-v1``, as ``scripts/preset_sweep.py`` trains it, into
``OUT/seed<S>/v1/<model>``; a run whose ``best.pt`` exists is reused), and scores both on the real AIST++ detections (``aistpp``, protocol
``aistpp-v1``). Per model it reports the mean and spread over seeds, and the paired difference
v2 − v1 with a bootstrap 95% CI (units: the protocol's, seeds averaged per sequence first, as
``posebench compare`` pairs models), beside the trivial answer that repeats each AIST++ track's
own mean GT pose. Negative differences: v2 trained the better model. Results:
``OUT/transfer_runs.csv``, ``OUT/transfer_diff.csv`` and markdown tables on stdout.

``--share-prior``: MEVA's first stage, the motion VAE, trains on the tracks' camera-frame 3D motion
only, which v1 and v2 share (``tests/test_cmu_v2.py::test_v1_and_v2_share_the_3d_motion``), so
retraining it for the v1 run gives the v2 run's VAE again, bit for bit (same seed). With the flag
the v1 MEVA run copies the v2 run's ``vae/`` and trains only its end-to-end stage on v1: the same
model, without the prior's second training (about 32 min per seed at the ``cpu`` size).
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd
from preset_sweep import METRICS, VARIANTS, mean_pose_row, run, train

from posebench import get_protocol
from posebench.api import default_config, run_eval
from posebench.benchmarking import seed_averaged
from posebench.runs import Run
from posebench.metrics.compare import compare_models

COMPARED = {"v2-aistpp": "v2 (aistpp preset)", "v1": "v1"}


def trained(model: str, variant: str, config: str, seed: int, out: Path, share_prior: bool = False) -> Path:
    """The best checkpoint of ``model`` trained on ``variant`` with ``seed`` (trained if missing)."""
    if variant == "v1":
        if share_prior and model == "meva":
            return meva_v1_on_the_v2_prior(config, seed, out)
        return train(model, variant, config, seed, out / f"seed{seed}")
    best = Run.of(model, "cmu", config, seed, default_config=default_config(model)).checkpoint
    if not best.is_file():
        run(["posebench", "train", model, "--config", config, "--seed", str(seed)])
    return best


def meva_v1_on_the_v2_prior(config: str, seed: int, out: Path) -> Path:
    """MEVA's v1 run in ``OUT/seed<S>/v1/meva``: the v2 run's motion VAE (same seed) copied in,
    then the end-to-end stage trained on ``cmu-v1`` (see ``--share-prior``)."""
    run_dir = out / f"seed{seed}" / "v1" / "meva"
    best = run_dir / "best.pt"
    if best.is_file():
        return best
    prior = trained("meva", "v2-aistpp", config, seed, out).parent / "vae"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    shutil.copytree(prior, run_dir / "vae")
    run(["posebench", "train", "meva", "--dataset", "cmu-v1", "--config", config, "--seed", str(seed),
         "--stage", "e2e", "--out", str(run_dir)])
    return best


def per_sequence(model: str, best: Path, config: str, aistpp_root: str | None) -> tuple[dict, pd.DataFrame]:
    report = run_eval([model], "aistpp", protocol="aistpp-v1", checkpoints={model: str(best)},
                      dataset_kwargs={"root": aistpp_root}, config=config, progress=False)
    summary = {row["metric"]: row["value"] for row in report.rows}
    return summary, report.per_sequence


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="meva,vibe,hmmr")
    ap.add_argument("--config", default="quick")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--out", type=Path, default=Path("transfer"))
    ap.add_argument("--aistpp", default=None, help="AIST++ annotations folder (default: POSEBENCH_DATA/aistpp)")
    ap.add_argument("--share-prior", action="store_true",
                    help="v1 MEVA runs reuse the v2 run's motion VAE (the same bits; see above)")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    protocol = get_protocol("aistpp-v1")
    run_rows, diff_rows = [], []
    for model in args.models.split(","):
        tables = {}
        for variant in COMPARED:
            seq_tables = []
            for seed in seeds:
                best = trained(model, variant, args.config, seed, args.out, args.share_prior)
                summary, table = per_sequence(model, best, args.config, args.aistpp)
                run_rows.append({"model": model, "trained on": COMPARED[variant], "seed": seed,
                                 **{label: summary.get(label) for label in METRICS.values()}})
                seq_tables.append(table)
            tables[COMPARED[variant]] = seed_averaged(pd.concat(seq_tables, ignore_index=True))
        metrics = [m for m in METRICS if all(m in t.columns for t in tables.values())]
        diff = compare_models(tables, metrics, baseline=COMPARED["v1"], protocol=protocol)
        diff_rows.append(diff.assign(model=model))
    runs = pd.DataFrame(run_rows)
    args.out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(args.out / "transfer_runs.csv", index=False)
    diffs = pd.concat(diff_rows, ignore_index=True)
    diffs.to_csv(args.out / "transfer_diff.csv", index=False)
    labels = list(METRICS.values())
    stats = runs.groupby(["model", "trained on"], sort=False)[labels].agg(["mean", "std"])
    lines = ["| model | trained on | " + " | ".join(f"{m} (mean ± sd over seeds)" for m in labels) + " |",
             "|---|---|" + "---:|" * len(labels)]
    for (model, variant), row in stats.iterrows():
        lines.append(f"| {model} | {variant} | " + " | ".join(f"{row[(m, 'mean')]:.2f} ± {row[(m, 'std')]:.2f}"
                                                            for m in labels) + " |")
    mean_pose = mean_pose_row(args.aistpp)
    lines.append("| GT mean pose | – | " + " | ".join(f"{mean_pose[m]:.2f}" for m in labels) + " |")
    print(f"Seeds {seeds}, config {args.config!r}, scored on AIST++ (real detections), aistpp-v1:\n")
    print("\n".join(lines))
    print("\nPaired difference v2 − v1 on AIST++ (negative: v2 better), bootstrap 95% CI over sequences:\n")
    lines = ["| model | metric | v2 − v1 | 95% CI | units |", "|---|---|---:|---|---:|"]
    for _, r in diffs.iterrows():
        lines.append(f"| {r['model']} | {METRICS.get(r['metric'], r['metric'])} | {r['diff']:+.2f} | "
                     f"[{r['ci_lo']:+.2f}, {r['ci_hi']:+.2f}] | {r['n']} |")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
