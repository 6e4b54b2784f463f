"""How much of a score is the benchmark's 2D detector: train models on each CMU detector preset,
score them on that preset's test split and on real AIST++ detections.

    python scripts/preset_sweep.py --models vibe,tcn --config quick --out sweep/ \
        --aistpp ../shared/realdata/aistpp --figure docs/preset_sweep.png

For each benchmark variant (v2 presets ``gt``, ``aistpp``, ``h36m-hrnet`` and the v1 benchmark) and
each model it runs ``posebench train MODEL --config CONFIG --seed SEED`` into
``OUT/<variant>/<model>``, evaluates the best checkpoint on the same variant's test split
(``posebench-v1``) and on ``aistpp`` (``aistpp-v1``), and adds a row for the trivial answer that
repeats each AIST++ track's own mean GT pose. Results: ``OUT/sweep.csv`` and a markdown table on
stdout. Training a model on a variant is skipped when its ``best.pt`` exists (delete it to retrain).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from posebench import get_protocol, load_dataset
from posebench.api import run_eval
from posebench.metrics.scoring import SequencePrediction, SequenceTarget, score

# variant -> (dataset name, dataset options)
VARIANTS = {
    "v2-gt": ("cmu", {"preset": "gt"}),
    "v2-aistpp": ("cmu", {"preset": "aistpp"}),
    "v2-h36m-hrnet": ("cmu", {"preset": "h36m-hrnet"}),
    "v1": ("cmu-v1", {}),
}
METRICS = {"mpjpe": "MPJPE", "pa_mpjpe": "PA-MPJPE", "acc_err": "ACC-ERR", "accel": "ACCEL"}


def train(model: str, variant: str, config: str, seed: int, out: Path) -> Path:
    dataset, options = VARIANTS[variant]
    run_dir = out / variant / model
    best = run_dir / "best.pt"
    if best.is_file():
        return best
    cfg = [f"dataset_options.{dataset}.{k}={v}" for k, v in options.items()]
    cmd = ["posebench", "train", model, "--dataset", dataset, "--config", config, "--seed", str(seed),
           "--out", str(run_dir), "--overwrite"] + (["--cfg-options", " ".join(cfg)] if cfg else [])
    run(cmd)
    return best


def run(cmd: list[str]) -> None:
    """Echo and run one ``posebench`` command; a failure stops the script."""
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def summary(report) -> dict:
    values = {row["metric"]: row["value"] for row in report.rows}
    return {label: values.get(label) for label in METRICS.values()}


def mean_pose_row(aistpp_root: str | None) -> dict:
    """Each AIST++ track's own mean (pelvis-relative) GT pose, repeated: a generous trivial answer."""
    tracks = load_dataset("aistpp", root=aistpp_root).tracks("test")
    protocol = get_protocol("aistpp-v1")
    preds, gts = {}, {}
    for t in tracks:
        joints = t.joints3d_m  # (N, 14, 3)
        valid = np.ones(len(joints), bool) if t.valid is None else np.asarray(t.valid, bool)
        mean_pose = np.nanmean(joints[valid], axis=0, keepdims=True)
        preds[t.name] = SequencePrediction(np.repeat(mean_pose, len(joints), axis=0), covered=np.ones(len(joints), bool))
        gts[t.name] = SequenceTarget(joints, valid=t.valid)
    result = score(preds, gts, protocol)
    return {label: result.summary.get(key) for key, label in METRICS.items()}


def plot(table: pd.DataFrame, path: Path) -> None:
    """MPJPE and ACC-ERR per model per training variant, on its own CMU test split and on aistpp."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = table[table["trained on"] != "-"]
    variants = list(dict.fromkeys(runs["trained on"]))
    models = list(dict.fromkeys(runs["model"]))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, metric in zip(axes, ("MPJPE", "ACC-ERR")):
        width = 0.8 / (2 * len(models))
        for mi, model in enumerate(models):
            for ti, (test, hatch) in enumerate((("cmu", ""), ("aistpp", "//"))):
                rows = runs[(runs["model"] == model) & runs["test"].str.startswith(test)]
                values = [rows[rows["trained on"] == v][metric].mean() for v in variants]
                offset = (2 * mi + ti) * width - 0.4 + width / 2
                label = f"{model} on {'CMU (same preset)' if test == 'cmu' else 'AIST++ (real)'}"
                ax.bar([i + offset for i in range(len(variants))], values, width, hatch=hatch, color=f"C{mi}",
                       edgecolor="white" if hatch else None, label=label)
        ax.set_xticks(range(len(variants)), variants)
        ax.set_title(f"{metric} [{'mm' if metric == 'MPJPE' else 'mm/frame²'}]")
        ax.set_xlabel("training benchmark (detector preset)")
    base = table[table["trained on"] == "-"]
    if len(base):
        axes[0].axhline(float(base["MPJPE"].iloc[0]), color="k", ls="--", lw=1, label="GT mean pose on AIST++")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="vibe,tcn")
    ap.add_argument("--config", default="quick")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--out", type=Path, default=Path("sweep"))
    ap.add_argument("--aistpp", default=None, help="AIST++ annotations folder (default: POSEBENCH_DATA/aistpp)")
    ap.add_argument("--figure", type=Path, default=None, help="Also draw the table as a PNG here")
    ap.add_argument("--plot-only", action="store_true", help="Only draw OUT/sweep.csv (with --figure)")
    args = ap.parse_args()
    if args.plot_only:
        plot(pd.read_csv(args.out / "sweep.csv"), args.figure or args.out / "sweep.png")
        return
    rows = []
    for variant in args.variants.split(","):
        dataset, options = VARIANTS[variant]
        for model in args.models.split(","):
            best = train(model, variant, args.config, args.seed, args.out)
            on_cmu = run_eval([model], dataset, protocol="posebench-v1", checkpoints={model: str(best)},
                              dataset_kwargs=options, config=args.config, progress=False)
            on_aist = run_eval([model], "aistpp", protocol="aistpp-v1", checkpoints={model: str(best)},
                               dataset_kwargs={"root": args.aistpp}, config=args.config, progress=False)
            rows.append({"model": model, "trained on": variant, "test": f"cmu {variant}", **summary(on_cmu)})
            rows.append({"model": model, "trained on": variant, "test": "aistpp (real)", **summary(on_aist)})
    rows.append({"model": "GT mean pose", "trained on": "-", "test": "aistpp (real)", **mean_pose_row(args.aistpp)})
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "sweep.csv", index=False)
    print(table.to_markdown(index=False, floatfmt=".2f"))
    if args.figure:
        plot(table, args.figure)


if __name__ == "__main__":
    sys.exit(main())
