"""vibe-v2, meva-v2 and hmmr-v2 against slow, independent references of each official evaluator.

Each reference below is written straight from the evaluator's rules (docs/protocols.md), with
plain loops over frames, tracks and videos, its own Procrustes (an SVD per frame) and its own
windowing; it shares no code with posebench's scoring. The data exercises every rule: dropouts
(invalid frames), invisible frames (some with 2D confidences between HMMR's 0.1 and VIBE's 0.3
thresholds, some at exactly 6 or 7 visible joints), several people per video, root jitter in the
prediction, tracks shorter than VIBE's 16 and MEVA's 90 frames, a fully invisible and a fully
invalid track. ``posebench score`` (the CLI, on npz files) must equal the reference to 1e-6 mm.

The GT motion comes from real CMU salsa captures (two partners per take, so two people per
video) when ../shared/realdata is present, and from synthetic motion otherwise.
"""
from __future__ import annotations

import dataclasses
import warnings
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from posebench.metrics.protocols import BUILTIN_PROTOCOLS
from posebench.metrics.scoring import score
from posebench.predictions import read_predictions, write_predictions
from posebench.results import METRIC_INFO
from metric_references import procrustes_error

P = {p.id: p for p in BUILTIN_PROTOCOLS}
TOL_MM = 1e-6
M2MM = 1000.0
# A fake "mesh": each vertex is a joint plus a fixed offset (enough to exercise PVE's rules).
VERT_JOINTS = np.arange(20) % 14
VERT_OFFSETS = np.random.default_rng(7).normal(scale=0.05, size=(20, 3))


# ---------------------------------------------------------------- data

STANDING_LSP14_M = np.array([
    [-0.10, 0.00, 0.0], [-0.10, 0.45, 0.0], [-0.10, 0.90, 0.0], [0.10, 0.90, 0.0], [0.10, 0.45, 0.0],
    [0.10, 0.00, 0.0], [-0.45, 1.00, 0.0], [-0.35, 1.20, 0.0], [-0.20, 1.40, 0.0], [0.20, 1.40, 0.0],
    [0.35, 1.20, 0.0], [0.45, 1.00, 0.0], [0.00, 1.50, 0.0], [0.00, 1.75, 0.0]])


def synthetic_motion(rng, n):
    """(n, 14, 3) metres: a standing person swinging limbs and walking along a curve."""
    t = np.arange(n)[:, None, None] / 30.0
    phase = rng.uniform(0, 2 * np.pi, size=(1, 14, 3))
    swing = 0.08 * np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * t + phase)
    root = np.concatenate([np.sin(t[..., 0] * 0.7), 0 * t[..., 0], np.cos(t[..., 0] * 0.5)], axis=-1)[:, :, None]
    return STANDING_LSP14_M[None] + swing + root.transpose(0, 2, 1)


def realdata_motion(realdata_dir):
    """Real CMU salsa partners (subjects 60 and 61 dance together), LSP-14 joints at 30 fps."""
    from posebench.data.mocap.clips import retarget_entry
    from posebench.data.mocap.manifest import load_manifest
    from posebench.skeleton import SMPL_TO_LSP14

    entries = {e.rel_path: e for e in load_manifest(realdata_dir)}

    def lsp14(take):
        j = retarget_entry(entries[f"cmu/bvh/beemsoft_salsa/{take}_scaled.bvh"], 30.0).joints_m
        return np.concatenate([j[:, list(SMPL_TO_LSP14)], j[:, 15:16]], axis=1)  # head as head top

    return {take: lsp14(take) for take in ("60_01", "61_01", "60_02", "61_02", "60_03", "61_03")}


def track_layout(motion):
    """{video: [gt joints of each person]}: long tracks, short ones (< 16, < 90 frames), and
    tracks that end up with nothing to score under some protocol."""
    return {
        "salsa_01": [motion["60_01"][:400], motion["61_01"][:400]],
        "salsa_02": [motion["60_02"][:300], motion["61_02"][40:100], motion["60_03"][:12]],
        "alone_invisible": [motion["61_03"][:150]],
        "alone_invalid": [motion["60_03"][100:300]],
    }


def runs(rng, n, rate, longest):
    """(n,) bool: runs of True covering about ``rate`` of the frames."""
    out = np.zeros(n, bool)
    t = 0
    while t < n:
        if rng.random() < rate / longest * 2:
            length = int(rng.integers(1, longest + 1))
            out[t:t + length] = True
            t += length
        t += 1
    return out


def make_case(rng, layout):
    gts, preds = {}, {}
    for video, tracks in layout.items():
        for k, g in enumerate(tracks):
            name, n = f"{video}/p{k}", len(g)
            jitter = np.cumsum(rng.normal(scale=0.005, size=(n, 1, 3)), axis=0)  # root random walk
            p = g + rng.normal(scale=0.02, size=g.shape) + jitter
            outliers = rng.random(n) < 0.03
            p[outliers] += rng.normal(scale=0.15, size=(int(outliers.sum()), 14, 3))
            valid = ~runs(rng, n, 0.08, 10)
            conf = rng.uniform(0.35, 1.0, size=(n, 14))
            hidden = runs(rng, n, 0.2, 12)
            for t in np.flatnonzero(hidden):
                n_low = int(rng.choice([6, 7, 8, 10, 14]))
                joints = rng.choice(14, size=n_low, replace=False)
                between = rng.random() < 0.5  # visible for HMMR (> 0.1), not for VIBE/MEVA (> 0.3)
                conf[t, joints] = rng.uniform(0.12, 0.28, n_low) if between else rng.uniform(0.0, 0.09, n_low)
            if video == "alone_invisible":
                conf[:] = 0.0
            if video == "alone_invalid":
                valid[:] = False
            gts[name] = {"joints3d_m": g, "valid": valid, "vis2d": conf, "video": video,
                         "vertices_m": g[:, VERT_JOINTS] + VERT_OFFSETS}
            preds[name] = {"joints3d_m": p, "vertices_m": p[:, VERT_JOINTS] + VERT_OFFSETS}
    return gts, preds


@pytest.fixture(scope="module", params=["synthetic", "realdata"])
def case_files(request, tmp_path_factory):
    rng = np.random.default_rng(2026)
    if request.param == "realdata":
        motion = realdata_motion(request.getfixturevalue("realdata_dir"))  # skips without real data
    else:
        motion = {take: synthetic_motion(rng, 1200) for take in ("60_01", "61_01", "60_02", "61_02", "60_03", "61_03")}
    gts, preds = make_case(rng, track_layout(motion))
    folder = tmp_path_factory.mktemp(f"official_{request.param}")
    write_predictions(folder / "gt.npz", gts, fps=30)
    write_predictions(folder / "pred.npz", preds, fps=30)  # no 'covered': each protocol's windowing decides
    return folder, gts, preds


# ---------------------------------------------------------------- references

def centred(frame):
    """One frame (14, 3) minus the mid-hip pelvis (joints 2 and 3)."""
    return frame - (frame[2] + frame[3]) / 2.0


def joint_mean_norm(a):
    """Mean over joints of the xyz norm, (14, 3) -> float."""
    return np.mean([np.linalg.norm(row) for row in a])


def vibe_reference(gts, preds):
    """VIBE eval.py: the 3DPW db keeps frames with > 6 joints at confidence > 0.3; each vid_name is
    cut into non-overlapping 16-frame chunks of those rows (short tracks skipped, tails dropped);
    the evaluator stacks every chunk, pelvis-centres, and computes everything over the stack."""
    stack_p, stack_g, stack_pv, stack_gv = [], [], [], []
    for seq in gts:  # db order = first appearance of each vid_name
        conf = gts[seq]["vis2d"]
        rows = [t for t in range(len(conf)) if sum(1 for c in conf[t] if c > 0.3) > 6]
        if len(rows) < 16:
            continue
        for start in range(0, len(rows) - 16 + 1, 16):
            for t in rows[start:start + 16]:
                stack_p.append(preds[seq]["joints3d_m"][t])
                stack_g.append(gts[seq]["joints3d_m"][t])
                stack_pv.append(preds[seq]["vertices_m"][t])
                stack_gv.append(gts[seq]["vertices_m"][t])
    p = [centred(f) for f in stack_p]
    g = [centred(f) for f in stack_g]
    n = len(p)
    accel = [joint_mean_norm(p[t] - 2 * p[t + 1] + p[t + 2]) for t in range(n - 2)]
    acc_err = [joint_mean_norm((p[t] - 2 * p[t + 1] + p[t + 2]) - (g[t] - 2 * g[t + 1] + g[t + 2]))
               for t in range(n - 2)]
    return {
        "mpjpe": np.mean([joint_mean_norm(a - b) for a, b in zip(p, g)]) * M2MM,
        "pa_mpjpe": np.mean([procrustes_error(a, b) for a, b in zip(p, g)]) * M2MM,
        "pve": np.mean([joint_mean_norm(a - b) for a, b in zip(stack_pv, stack_gv)]) * M2MM,
        "accel": np.mean(accel) * M2MM,
        "acc_err": np.mean(acc_err) * M2MM,
    }


def meva_chunks(n, window=90, overlap=10):
    """MEVA's get_chunk_with_overlap, from its rules: windows every window-overlap frames while they
    fit, plus one extra window on the last frames; the first keeps [0, W-overlap/2), the middle
    ones [overlap/2, W-overlap/2), the extra one its last (its first stride-end minus the previous
    window's, plus overlap/2) frames."""
    step, half = window - overlap, overlap // 2
    chunks = [list(range(s, s + window)) for s in range(0, n - window + 1, step)]
    chunks.append(list(range(n - window, n)))
    last_chunk = chunks[-1][:step][-1] - chunks[-2][:step][-1] + half
    selects = []
    for i in range(len(chunks)):
        if i == 0:
            selects.append((0, window - half))
        elif i == len(chunks) - 1:
            selects.append((window - last_chunk, window))
        else:
            selects.append((half, window - half))
    return chunks, selects


def meva_reference(gts, preds):
    """MEVA eval_meva.py: per vid_name (sorted), the db rows (> 6 joints at > 0.3) that are also
    valid; tracks under 90 rows skipped; windows stitched by hard cut; then the script's call
    compute_errors(pred*1000, gt*1000) against the signature compute_errors(gt3ds, preds): the GT
    is what gets Procrustes-aligned, onto the prediction. Per-frame values pooled over tracks."""
    full = defaultdict(list)
    for seq in sorted(gts):
        g_all, conf, valid = gts[seq]["joints3d_m"], gts[seq]["vis2d"], gts[seq]["valid"]
        rows = [t for t in range(len(conf)) if sum(1 for c in conf[t] if c > 0.3) > 6 and valid[t]]
        if len(rows) < 90:
            continue
        p_rows = [preds[seq]["joints3d_m"][t] for t in rows]
        stitched = []
        for chunk, (a, b) in zip(*meva_chunks(len(rows))):
            window_out = [p_rows[i] for i in chunk]
            stitched.extend(window_out[a:b])
        assert len(stitched) == len(rows)
        first_arg = [centred(f * M2MM) for f in stitched]  # "gt3ds" inside MEVA: the prediction
        second_arg = [centred(g_all[t] * M2MM) for t in rows]  # "preds" inside MEVA: the GT
        n = len(rows)
        full["mpjpe"] += [joint_mean_norm(a - b) for a, b in zip(first_arg, second_arg)]
        full["pa_mpjpe"] += [procrustes_error(b, a) for a, b in zip(first_arg, second_arg)]
        full["vel_err"] += [joint_mean_norm((second_arg[t + 1] - second_arg[t]) - (first_arg[t + 1] - first_arg[t]))
                            for t in range(n - 1)]
        full["acc_err"] += [joint_mean_norm((second_arg[t] - 2 * second_arg[t + 1] + second_arg[t + 2])
                                            - (first_arg[t] - 2 * first_arg[t + 1] + first_arg[t + 2]))
                            for t in range(n - 2)]
    return {k: float(np.mean(v)) for k, v in full.items()}


def hmmr_reference(gts, preds):
    """HMMR eval.py: per tfrecord (video), every person's per-frame lists are pooled; a frame is
    visible when more than 6 of its 14 2D joints have visibility (confidence > 0.1); MPJPE/PA/mesh
    on visible frames; accel_error on raw joints with a term dropped unless its 3 frames are
    visible; accel on the raw prediction, all frames; then nanmean per video, nanmean over videos."""
    videos = defaultdict(list)
    for seq in gts:
        videos[gts[seq]["video"]].append(seq)
    keys = ("mpjpe", "pa_mpjpe", "acc_err", "accel", "pve")
    per_video = {k: [] for k in keys}
    for video, seqs in videos.items():
        lists = {k: [] for k in keys}
        for seq in seqs:
            jp, jg = preds[seq]["joints3d_m"], gts[seq]["joints3d_m"]
            vp, vg = preds[seq]["vertices_m"], gts[seq]["vertices_m"]
            binarised = (gts[seq]["vis2d"] > 0.1).astype(float)
            vis = [binarised[t, :14].sum() > 6 for t in range(len(jg))]
            n = len(jg)
            for t in range(n - 2):
                lists["accel"].append(joint_mean_norm(jp[t] - 2 * jp[t + 1] + jp[t + 2]))
                if vis[t] and vis[t + 1] and vis[t + 2]:
                    lists["acc_err"].append(joint_mean_norm((jp[t] - 2 * jp[t + 1] + jp[t + 2])
                                                            - (jg[t] - 2 * jg[t + 1] + jg[t + 2])))
            for t in range(n):
                if vis[t]:
                    lists["mpjpe"].append(joint_mean_norm(centred(jg[t]) - centred(jp[t])))
                    lists["pa_mpjpe"].append(procrustes_error(centred(jp[t]), centred(jg[t])))
                    lists["pve"].append(joint_mean_norm(vg[t] - vp[t]))
        for k in keys:
            per_video[k].append(lists[k])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of a video with no value of a metric
        return {k: float(np.nanmean([np.nanmean(v) for v in per_video[k]])) * M2MM for k in keys}


REFERENCE_FUNCTIONS = {"vibe-v2": vibe_reference, "meva-v2": meva_reference, "hmmr-v2": hmmr_reference}


class _References:
    """Each slow reference computed once per data set."""

    def __init__(self):
        self.cache = {}

    def __getitem__(self, protocol):
        def compute(gts, preds):
            key = (protocol, id(gts))
            if key not in self.cache:
                self.cache[key] = REFERENCE_FUNCTIONS[protocol](gts, preds)
            return self.cache[key]
        return compute


REFERENCES = _References()
LABEL_TO_METRIC = {label: m for m, (label, _) in METRIC_INFO.items()}


def cli_score(folder, protocol, out_name):
    from posebench.cli.main import cli

    out = folder / out_name
    result = CliRunner().invoke(cli, ["score", str(folder / "pred.npz"), "--gt", str(folder / "gt.npz"),
                                      "--protocol", protocol, "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "summary.csv")
    return {LABEL_TO_METRIC[r.metric]: float(r.value) for r in table.itertuples()}, result.output


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize("protocol", ["vibe-v2", "meva-v2", "hmmr-v2"])
def test_cli_score_equals_official_reference(case_files, protocol):
    folder, gts, preds = case_files
    reference = REFERENCES[protocol](gts, preds)
    ours, output = cli_score(folder, protocol, f"out_{protocol}")
    assert set(ours) == set(reference), (ours, reference)
    diffs = {m: abs(ours[m] - reference[m]) for m in reference}
    print(f"\n{protocol} on {folder.name}: max |posebench - reference| = {max(diffs.values()):.3e} mm", diffs)
    assert max(diffs.values()) <= TOL_MM, diffs
    assert "too short for a metric" in output
    family = protocol.split("-")[0]
    assert cli_score(folder, family, f"out_{family}")[0] == ours  # the family name resolves to v2


@pytest.mark.parametrize("protocol, v1, metric", [
    ("vibe-v2", "vibe-v1", "mpjpe"),  # v1 windows the raw track, then filters
    ("meva-v2", "meva-v1", "pa_mpjpe"),  # v1 aligns the prediction onto the GT, valid frames only
    ("hmmr-v2", "hmmr-v1", "accel"),  # v1 centres and masks ACCEL, averages per track
])
def test_v1_differs_from_the_official_pipeline(case_files, protocol, v1, metric):
    """The data exercises the rules v1 gets wrong (else the equality above would prove little)."""
    folder, gts, preds = case_files
    reference = REFERENCES[protocol](gts, preds)
    g, _ = read_predictions(folder / "gt.npz")
    p, _ = read_predictions(folder / "pred.npz")
    p = {s: {**d, "covered": np.ones(len(d["joints3d_m"]), bool)} for s, d in p.items()}  # v1 scored files as given
    old = score(p, g, dataclasses.replace(P[v1], window=None, windowing="full")).summary
    assert abs(old[metric] - reference[metric]) > 1e-3


@pytest.mark.parametrize("protocol, field, value", [
    ("vibe-v2", "filter_before_windowing", False),
    ("vibe-v2", "accel_across_sequences", False),
    ("vibe-v2", "frame_filter", "all"),
    ("meva-v2", "pa_direction", "pred_to_gt"),
    ("meva-v2", "frame_filter", "valid"),
    ("meva-v2", "accel_across_gaps", False),
    ("hmmr-v2", "accel_centering", "pelvis"),
    ("hmmr-v2", "visibility_threshold", 0.3),
    ("hmmr-v2", "accel_visibility_mask", True),
    ("hmmr-v2", "aggregation_unit", "track"),
    ("hmmr-v2", "temporal_frame_filter", True),
])
def test_every_declared_rule_matters_on_this_data(case_files, protocol, field, value):
    """Changing any one declared rule moves some metric away from the official reference."""
    folder, gts, preds = case_files
    reference = REFERENCES[protocol](gts, preds)
    g, _ = read_predictions(folder / "gt.npz")
    p, _ = read_predictions(folder / "pred.npz")
    exact = score(p, g, P[protocol]).summary
    assert max(abs(exact[m] - reference[m]) for m in reference) <= TOL_MM
    changed = score(p, g, dataclasses.replace(P[protocol], **{field: value})).summary
    assert max(abs(changed.get(m, np.nan) - reference[m]) for m in reference) > 1e-3
