"""Write SYNTHETIC SMPL model files in the official file layout, for tests.

The official ``SMPL_*.pkl`` files are Python-2 pickles (protocol 2) whose arrays are partly
``chumpy.ch.Ch`` objects and whose ``J_regressor`` is a ``scipy.sparse.csc_matrix``; they were
written with old numpy/scipy, so the pickles name ``numpy.core.multiarray`` and
``scipy.sparse.csc``. This helper reproduces that layout with random contents:

- a fake ``chumpy.ch`` module is put into ``sys.modules`` only while pickling, so the pickle
  references ``chumpy.ch.Ch`` exactly like the official files (chumpy itself is never needed);
- the state of each Ch is its ``__dict__`` with the array in ``x``, as chumpy stores it;
- with ``legacy_names=True`` the module names of numpy/scipy globals are rewritten to the old ones.

The numbers are random: nothing here is SMPL data.
"""
from __future__ import annotations

import pickle
import sys
import types
from pathlib import Path

import numpy as np
import scipy.sparse

from posebench.skeleton import SMPL_PARENTS

NUM_VERTICES, NUM_FACES, NUM_JOINTS = 6890, 13776, 24
REGRESSOR_VERTICES_PER_JOINT = 6


def _fake_chumpy_class() -> type:
    class Ch:
        """Pickles like chumpy's plain Ch: NEWOBJ(chumpy.ch.Ch) + BUILD(__dict__ without caches)."""

        def __init__(self, x):
            self.x = np.asarray(x, dtype=np.float64)

        def __getstate__(self):
            return {"x": self.x, "_dirty_vars": set(), "_itr": None, "_depends_on_deps": {},
                    "_make_dense": False, "_make_sparse": False}  # fmt: skip

    Ch.__module__ = "chumpy.ch"
    Ch.__qualname__ = Ch.__name__ = "Ch"
    return Ch


def synthetic_smpl_arrays(seed: int = 0, num_betas: int = 10) -> dict[str, np.ndarray]:
    """Random SMPL-shaped arrays: a body-sized template, small blend shapes, a sparse-style
    J_regressor (each joint = convex combination of a few vertices), one-hot skinning weights."""
    rng = np.random.default_rng(seed)
    v_template = rng.uniform([-0.4, -1.0, -0.15], [0.4, 0.7, 0.15], size=(NUM_VERTICES, 3))
    shapedirs = rng.normal(0.0, 0.01, size=(NUM_VERTICES, 3, num_betas))
    posedirs = rng.normal(0.0, 0.002, size=(NUM_VERTICES, 3, 207))
    j_regressor = np.zeros((NUM_JOINTS, NUM_VERTICES))
    for j in range(NUM_JOINTS):
        idx = rng.choice(NUM_VERTICES, REGRESSOR_VERTICES_PER_JOINT, replace=False)
        w = rng.uniform(0.5, 1.0, REGRESSOR_VERTICES_PER_JOINT)
        j_regressor[j, idx] = w / w.sum()
    weights = np.zeros((NUM_VERTICES, NUM_JOINTS))
    weights[np.arange(NUM_VERTICES), rng.integers(0, NUM_JOINTS, NUM_VERTICES)] = 1.0
    kintree_table = np.array([list(SMPL_PARENTS), list(range(NUM_JOINTS))], dtype=np.int64)
    kintree_table[0, 0] = 4294967295  # how the official files store "no parent"
    faces = rng.integers(0, NUM_VERTICES, size=(NUM_FACES, 3)).astype(np.uint32)
    return {"v_template": v_template, "shapedirs": shapedirs, "posedirs": posedirs, "J_regressor": j_regressor,
            "weights": weights, "kintree_table": kintree_table, "f": faces}  # fmt: skip


def write_synthetic_smpl_pkl(path: str | Path, seed: int = 0, legacy_names: bool = True) -> dict[str, np.ndarray]:
    """Write a synthetic SMPL ``.pkl`` in the official layout; return the plain arrays written."""
    arrays = synthetic_smpl_arrays(seed)
    saved = {name: sys.modules.get(name) for name in ("chumpy", "chumpy.ch")}
    Ch = _fake_chumpy_class()
    chumpy_mod, ch_mod = types.ModuleType("chumpy"), types.ModuleType("chumpy.ch")
    ch_mod.Ch = Ch
    chumpy_mod.ch = ch_mod
    sys.modules["chumpy"], sys.modules["chumpy.ch"] = chumpy_mod, ch_mod
    try:
        model = {
            "v_template": Ch(arrays["v_template"]),
            "shapedirs": Ch(arrays["shapedirs"]),
            "posedirs": Ch(arrays["posedirs"]),
            "J": Ch(arrays["J_regressor"] @ arrays["v_template"]),
            "J_regressor": scipy.sparse.csc_matrix(arrays["J_regressor"]),
            "weights": arrays["weights"],
            "kintree_table": arrays["kintree_table"],
            "f": arrays["f"],
            "bs_style": "lbs",
            "bs_type": "lrotmin",
        }
        data = pickle.dumps(model, protocol=2)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    if legacy_names:  # GLOBAL opcodes are "c<module>\n<name>\n" in protocol 2
        data = data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
        data = data.replace(b"cscipy.sparse._csc\n", b"cscipy.sparse.csc\n")
    assert b"cchumpy.ch\nCh\n" in data
    Path(path).write_bytes(data)
    return arrays


def write_malicious_pickle(path: str | Path) -> None:
    """A pickle that would call ``os.system`` when loaded with plain ``pickle.load``."""

    class Exploit:
        def __reduce__(self):
            import os

            return (os.system, ("echo pwned",))

    Path(path).write_bytes(pickle.dumps({"v_template": Exploit()}, protocol=2))
