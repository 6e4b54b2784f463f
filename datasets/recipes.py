"""Recipe datasets: the papers' training mixtures, made of registered datasets.

A :class:`RecipeDataset` maps each of its splits to a list of ``(component dataset, split)``
pairs. ``tracks(split)`` concatenates the components' tracks in that order, track names
prefixed ``"<component>/"``; ``motion(split)`` does the same for motion clips.

Frame rates — the recipes mix rates WITHOUT resampling, as VIBE and MEVA do
---------------------------------------------------------------------------
MPI-INF-3DHP and Human3.6M are 25 fps, InstaVariety, Penn Action and 3DPW are (nominally)
30 fps. The official loaders cut fixed-length windows from every dataset at its own rate
and put them in one batch. To reproduce that faithfully, every track of a recipe is a
SHALLOW copy of the component's track (the arrays are shared, not copied) with
``fps = nominal_fps`` (30 by default) and the true rate kept in ``meta["source_fps"]``
(the component name is in ``meta["component"]``). This is what lets one training batch
mix windows of 25 and 30 fps data (``collate_windows`` refuses batches whose ``fps``
differ). It is a deliberate mislabel of the 25 fps tracks; a temporal model trained on a
recipe sees 25 fps motion as if it were 30 fps, exactly like the official models did.
Motion clips are NOT relabelled: they keep their true ``fps`` (consumers such as VIBE's
discriminator resample motion with :func:`posebench.training.data.clip_at_fps`).

The recipes (docs/official_implementations.md §4.1, §4.2)
----------------------------------
- ``vibe-recipe`` (VIBE ``configs/config.yaml``): train = insta/train (2D) + mpii3d/train
  (3D); val = 3dpw-vibe/val; test = 3dpw-vibe/test.
- ``meva-recipe`` (MEVA ``train_meva_2``): train = insta/train + pennaction/train (2D) +
  mpii3d/train + h36m/train (3D); val = 3dpw-vibe/val; test = 3dpw-vibe/test.
  MEVA's ``train_meva_2`` also trains on the 3DPW TRAIN split, whose VIBE-format db is not
  public (VIBE ships only ``3dpw_{val,test}_db.pt``), so it is left out. MEVA evaluates
  (and selects its checkpoint) on a test set; posebench always selects on ``val``.

What is NOT reproduced
----------------------
- The 60/40 2D/3D batch ratio (``DATA_2D_RATIO = 0.6``: 19 2D + 13 3D windows per batch):
  posebench batches draw windows uniformly from all components, so the mix follows the
  components' window counts.
- Per-dataset window strides (VIBE: Penn Action stride 4; MEVA: Penn Action 22, H36M 45,
  Insta/MPII3D = window): one ``train.window_stride`` applies to every component.
- The Penn Action / PoseTrack / 3DPW-train components that the official configs comment
  out or that are not public.

Roots: ``RecipeDataset(root)`` looks for component ``c`` in ``<root>/<c>``; with no root each
component resolves its own folder (``POSEBENCH_DATA/<c>``). A component's missing file
raises that component's own error, which names the expected path.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from posebench.data.track import DatasetStatus, MotionClip, Track
from posebench.errors import PosebenchError
from posebench.paths import data_root

from posebench_datasets.common import check_split

Components = dict[str, list[tuple[str, str]]]

VIBE_RECIPE: Components = {
    "train": [("insta", "train"), ("mpii3d", "train")],
    "val": [("3dpw-vibe", "val")],
    "test": [("3dpw-vibe", "test")],
}

MEVA_RECIPE: Components = {
    "train": [("insta", "train"), ("pennaction", "train"), ("mpii3d", "train"), ("h36m", "train")],
    "val": [("3dpw-vibe", "val")],
    "test": [("3dpw-vibe", "test")],
}


class RecipeDataset:
    """A PoseDataset whose splits concatenate splits of registered datasets (see the module docstring)."""

    kp2d_joint_set = "lsp14"

    def __init__(self, root=None, *, name: str, components: Components, nominal_fps: float = 30.0):
        from posebench.registry import load_dataset

        if not components:
            raise PosebenchError(f"recipe {name!r}: no splits given")
        self.name = name
        self.fps = float(nominal_fps)
        self.root = Path(root).expanduser() if root is not None else None
        self.components = {split: [(str(c), str(s)) for c, s in parts] for split, parts in components.items()}
        self.datasets = {}
        for parts in self.components.values():
            for comp, comp_split in parts:
                if comp not in self.datasets:
                    self.datasets[comp] = load_dataset(comp, root=None if self.root is None else self.root / comp)
                if comp_split not in self.datasets[comp].splits():
                    raise PosebenchError(f"recipe {name!r}: component {comp!r} has no split {comp_split!r} "
                                         f"(it has {', '.join(self.datasets[comp].splits())})")

    def splits(self) -> tuple[str, ...]:
        return tuple(self.components)

    def tracks(self, split: str) -> list[Track]:
        """Components' tracks, renamed ``component/name``, ``fps = nominal_fps``, ``meta["source_fps"]`` = true rate."""
        check_split(self.name, split, self.splits())
        out = []
        for comp, comp_split in self.components[split]:
            for tr in self.datasets[comp].tracks(comp_split):
                meta = {**tr.meta, "source_fps": float(tr.meta.get("source_fps", tr.fps)), "component": comp,
                        "component_split": comp_split}
                out.append(dataclasses.replace(tr, name=f"{comp}/{tr.name}", fps=self.fps, meta=meta))
        return out

    def motion(self, split: str) -> list[MotionClip]:
        """Components' motion clips, renamed ``component/name``, at their TRUE fps (not relabelled)."""
        check_split(self.name, split, self.splits())
        out = []
        for comp, comp_split in self.components[split]:
            for clip in self.datasets[comp].motion(comp_split):
                out.append(dataclasses.replace(clip, name=f"{comp}/{clip.name}",
                                               meta={**clip.meta, "component": comp}))
        return out

    def _used_files(self, comp: str) -> set[str] | None:
        """Files (relative to the component root) of the splits this recipe uses, when the component says
        which file a split reads (``path(split)``); None = unknown, keep all of its status."""
        ds = self.datasets[comp]
        if not callable(getattr(ds, "path", None)):
            return None
        used = set()
        for parts in self.components.values():
            for c, s in parts:
                if c == comp:
                    p = Path(ds.path(s))
                    used.add(str(p.relative_to(ds.root)) if p.is_relative_to(ds.root) else str(p))
        return used

    def status(self) -> DatasetStatus:
        """Found/missing files of the components (``component/file``), only those of the splits in use."""
        found, missing, licences, notes = [], [], [], []
        for comp, ds in self.datasets.items():
            st = ds.status()
            used = self._used_files(comp)
            keep = (lambda f: True) if used is None else (lambda f: f in used)  # noqa: E731
            found += [f"{comp}/{f}" for f in st.found if keep(f)]
            missing += [f"{comp}/{f}" for f in st.missing if keep(f)]
            if st.licence and st.licence not in licences:
                licences.append(st.licence)
            notes.append(f"{comp}: {st.root}")
        uses = "; ".join(f"{split} = " + " + ".join(f"{c}/{s}" for c, s in parts)
                         for split, parts in self.components.items())
        return DatasetStatus(self.root if self.root is not None else data_root(), found, missing,
                             "; ".join(licences), note=f"recipe: {uses} (component folders: {', '.join(notes)})")


def vibe_recipe(root=None, **kwargs) -> RecipeDataset:
    """VIBE's training mixture (docs/official_implementations.md §4.1): Insta + MPI-INF-3DHP train, 3DPW val/test."""
    return RecipeDataset(root, name="vibe-recipe", components=VIBE_RECIPE, **kwargs)


def meva_recipe(root=None, **kwargs) -> RecipeDataset:
    """MEVA's ``train_meva_2`` mixture minus 3DPW train (not public): Insta + Penn Action + MPI-INF-3DHP + H36M."""
    return RecipeDataset(root, name="meva-recipe", components=MEVA_RECIPE, **kwargs)
