"""InstaVariety as VIBE ships it: ``insta_train_db.h5`` (HDF5, 2D keypoints + image features).

Datasets (docs/official_implementations.md §6.1): ``vid_name`` (N,) bytes, ``frame_id`` (N,), ``joints2D``
(N, 25, 3) in the insta-25 order, already in 224-crop pixels, and ``features`` (N, 2048).
One 2D-only :class:`Track` per ``vid_name`` (rows in file order):

- ``kp2d`` (T, 14, 3): normalised ``2u/224 - 1`` as VIBE's loader does, then reordered to
  LSP-14. insta-25 holds OpenPose joints (``OP RKnee``), not the LSP ones, so the
  LSP joint is taken from the OpenPose joint of the same body part (``openpose_as_common``);
  VIBE instead keeps them as separate joints of its 49-joint order. The native order is in
  ``meta["kp2d_native"]`` (``meta["kp2d_native_joint_set"] = "insta25"``).
- ``fps`` = 30 is nominal: the clips come from Instagram videos at varying rates.

The file is untrusted: datasets reached through external or soft links, virtual datasets and
datasets with external storage are refused (they would read other local files into the
keypoints), as are datasets declaring far more bytes than they store.
"""
from __future__ import annotations

import numpy as np

from posebench.data.keypoints import convert_kps, normalize_crop_pixels
from posebench.data.track import DatasetStatus, MotionClip, Track
from posebench.errors import DataFormatError
from posebench.paths import dataset_dir

from posebench_datasets.common import as_array, as_strings, check_split, group_rows, require_file

FILE = "insta_train_db.h5"
# A dataset may not declare more bytes than this many times what it stores (plus a floor):
# an unwritten chunked dataset reads as its fill value, so a tiny file could ask for terabytes.
MAX_EXPANSION = 200
MIN_READ_BUDGET = 256 << 20


def _check_local_dataset(h5, key: str, path) -> None:
    """Refuse what would make HDF5 read outside this file or allocate what the file does not hold:
    links other than hard links (external links name another file), virtual datasets (mapped from
    other files), external raw storage, non-plain dtypes, and declared sizes far beyond the storage."""
    import h5py

    link = h5.get(key, getlink=True)
    if not isinstance(link, h5py.HardLink):
        raise DataFormatError(path, f"refused {type(link).__name__} (only datasets stored in this file are read)",
                              field=key)
    dset = h5[key]
    if not isinstance(dset, h5py.Dataset):
        raise DataFormatError(path, f"expected a dataset, got a {type(dset).__name__}", field=key)
    if dset.is_virtual:
        raise DataFormatError(path, "refused virtual dataset (it maps data from other files)", field=key)
    if dset.external:
        raise DataFormatError(path, "refused dataset with external storage files", field=key)
    if dset.dtype.kind not in "biufSO" or dset.dtype.fields is not None:
        raise DataFormatError(path, f"unexpected dtype {dset.dtype}", field=key)
    declared = int(dset.size) * dset.dtype.itemsize
    stored = dset.id.get_storage_size()
    if declared > max(MIN_READ_BUDGET, MAX_EXPANSION * stored):
        raise DataFormatError(path, f"declares {declared} bytes but stores {stored}: refused", field=key)


class InstaVariety:
    name = "insta"
    fps = 30.0
    kp2d_joint_set = "lsp14"
    licence = "InstaVariety: research use"

    def __init__(self, root=None):
        self.root = dataset_dir("insta", root)

    def splits(self) -> tuple[str, ...]:
        return ("train",)

    def status(self) -> DatasetStatus:
        ok = (self.root / FILE).is_file()
        return DatasetStatus(self.root, [FILE] if ok else [], [] if ok else [FILE], self.licence,
                             note="2D keypoints and image features only")

    def motion(self, split: str) -> list[MotionClip]:
        check_split(self.name, split, self.splits())
        return []  # no 3D or rotations in InstaVariety

    def tracks(self, split: str) -> list[Track]:
        import h5py

        check_split(self.name, split, self.splits())
        path = require_file(self.root / FILE, self.name, "From VIBE's data (insta_train_db.h5).")
        try:
            h5 = h5py.File(path, "r")
        except OSError as exc:
            raise DataFormatError(path, f"not a readable HDF5 file: {exc}") from None
        with h5:
            # Link types are checked before anything resolves a name: an external link would open another file.
            for key in ("vid_name", "joints2D", "features", "frame_id"):
                if h5.get(key, getlink=True) is not None:
                    _check_local_dataset(h5, key, path)
                elif key != "frame_id":
                    raise DataFormatError(path, f"missing dataset (present: {', '.join(sorted(h5))})", field=key)
            names = as_strings(h5["vid_name"][()], path, "vid_name")
            n = names.shape[0]
            kp = as_array(h5["joints2D"][()], path, "joints2D", shape=(n, 25, 3))
            feats_ds = h5["features"]
            if feats_ds.ndim != 2 or feats_ds.shape[0] != n:
                raise DataFormatError(path, f"expected shape ({n}, F), got {feats_ds.shape}", field="features")
            frame_id = h5["frame_id"][()] if "frame_id" in h5 else None
            if frame_id is not None and frame_id.shape[:1] != (n,):
                raise DataFormatError(path, f"expected {n} rows, got shape {frame_id.shape}", field="frame_id")
            native = normalize_crop_pixels(kp)
            lsp = convert_kps(native, "insta25", "lsp14", openpose_as_common=True)
            tracks = []
            for vid, rows in group_rows(names):
                # rows of one video are contiguous in VIBE's file: read that slice only
                contiguous = rows[-1] - rows[0] + 1 == len(rows)
                feats = feats_ds[rows[0]:rows[-1] + 1] if contiguous else feats_ds[()][rows]
                feats = as_array(feats, path, "features", dtype=np.float32)
                meta = {"source": str(path), "rows": rows, "kp2d_native": native[rows],
                        "kp2d_native_joint_set": "insta25"}
                if frame_id is not None:
                    meta["frame_id"] = frame_id[rows]
                tracks.append(Track(name=vid, fps=self.fps, features=feats, kp2d=lsp[rows],
                                    valid=np.ones(len(rows), bool), meta=meta))
        return tracks
