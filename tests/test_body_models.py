"""Body models: the built-in skeleton model and SMPL (on a synthetic model file)."""
from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from smpl_fixture import write_malicious_pickle, write_synthetic_smpl_pkl  # noqa: E402

from posebench.body_models import (  # noqa: E402
    SkeletonBodyModel,
    SMPLBodyModel,
    find_smpl_file,
    get_body_model,
    joint_map,
)
from posebench.body_models.skeleton_model import DEFAULT_PARAMS_PATH, PARAM_SHAPES  # noqa: E402
from posebench.body_models.smpl import H36M_TO_J14, HEAD_TOP_VERTEX  # noqa: E402
from posebench.body_models.smpl_file import load_smpl_model  # noqa: E402
from posebench.errors import DataFormatError, MissingBodyModelError, ShapeError, UnknownNameError  # noqa: E402
from posebench.geometry.rotations import axis_angle_to_matrix  # noqa: E402
from posebench.skeleton import SMPL_PARENTS, SMPL_TO_LSP14, forward_kinematics  # noqa: E402



def descendants(joint: int) -> set[int]:
    out = {joint}
    for j, p in enumerate(SMPL_PARENTS):
        if p in out:
            out.add(j)
    return out


def identity_pose(batch: int, dtype=torch.float64) -> torch.Tensor:
    return torch.eye(3, dtype=dtype).expand(batch, 24, 3, 3).clone()


def random_pose(batch: int, seed: int, scale: float = 0.6) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return axis_angle_to_matrix(scale * torch.randn(batch, 24, 3, generator=g, dtype=torch.float64))


# ---------------------------------------------------------------- skeleton model


@pytest.fixture(scope="module")
def skeleton_params() -> dict:
    """Parameters in the documented npz schema: a rough human T-pose plus random components."""
    rng = np.random.default_rng(3)
    offsets = rng.normal(0.0, 0.08, size=(24, 3))
    offsets[0] = [0.0, 0.95, 0.0]  # pelvis rest position
    return {
        "rest_offsets_mean_m": offsets,
        "shape_components_m": rng.normal(0.0, 0.01, size=(10, 24, 3)),
        "shape_std": np.linspace(1.0, 0.2, 10),
        "head_top_offset_m": np.array([0.0, 0.18, 0.02]),
        "subjects": np.array(["s01", "s02"]),
        "source": np.array("test"),
    }


@pytest.fixture(scope="module")
def skeleton(skeleton_params) -> SkeletonBodyModel:
    return SkeletonBodyModel(skeleton_params).double()


def test_skeleton_zero_betas_identity_pose_gives_mean_rest_joints(skeleton, skeleton_params):
    out = skeleton(torch.zeros(2, 10, dtype=torch.float64), identity_pose(2))
    offsets = skeleton_params["rest_offsets_mean_m"]
    expected = np.zeros((24, 3))
    for j, p in enumerate(SMPL_PARENTS):  # rest joints = cumulative offsets along the tree
        expected[j] = offsets[j] + (expected[p] if p >= 0 else 0.0)
    np.testing.assert_allclose(out.joints24_m[1].numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(out.global_rotmat.numpy(), identity_pose(2).numpy(), atol=1e-12)
    assert out.vertices_m is None and not skeleton.has_mesh


def test_skeleton_bone_vectors_are_linear_in_betas(skeleton, skeleton_params):
    betas = torch.zeros(3, 10, dtype=torch.float64)
    betas[1, 2], betas[2, 2] = 1.0, 2.5
    joints = skeleton(betas, identity_pose(3)).joints24_m
    parents = list(SMPL_PARENTS)
    bones = joints[:, 1:] - joints[:, parents[1:]]
    component = torch.as_tensor(skeleton_params["shape_components_m"][2, 1:])
    torch.testing.assert_close(bones[1] - bones[0], component, atol=1e-12, rtol=0)
    torch.testing.assert_close(bones[2] - bones[0], 2.5 * component, atol=1e-12, rtol=0)
    lengths = bones.norm(dim=-1)
    assert not torch.allclose(lengths[0], lengths[2])


def test_skeleton_lsp14_and_headtop(skeleton, skeleton_params):
    rotmat = random_pose(4, seed=1)
    transl = torch.tensor([[0.1, -0.2, 3.0]], dtype=torch.float64).expand(4, 3)
    betas = 0.5 * torch.randn(4, 10, dtype=torch.float64)
    out = skeleton(betas, rotmat, transl)
    assert out.lsp14_m.shape == (4, 14, 3)
    torch.testing.assert_close(out.lsp14_m[:, :13], out.joints24_m[:, list(SMPL_TO_LSP14)])
    head_offset = torch.as_tensor(skeleton_params["head_top_offset_m"])
    expected_top = out.joints24_m[:, 15] + (out.global_rotmat[:, 15] @ head_offset)
    torch.testing.assert_close(out.lsp14_m[:, 13], expected_top)
    # At rest, the head top sits straight above the head by the stored offset.
    rest = skeleton(torch.zeros(1, 10, dtype=torch.float64), identity_pose(1))
    np.testing.assert_allclose((rest.lsp14_m[0, 13] - rest.joints24_m[0, 15]).numpy(), [0.0, 0.18, 0.02], atol=1e-12)
    # Translation moves every joint rigidly.
    moved = skeleton(betas, rotmat, None)
    torch.testing.assert_close(out.joints24_m - moved.joints24_m, transl[:, None].expand(4, 24, 3))


def test_skeleton_gradients_reach_betas_and_rotations(skeleton):
    betas = torch.zeros(2, 10, dtype=torch.float64, requires_grad=True)
    aa = (0.3 * torch.randn(2, 24, 3, dtype=torch.float64)).requires_grad_(True)
    out = skeleton(betas, axis_angle_to_matrix(aa))
    out.lsp14_m.square().sum().backward()
    assert betas.grad is not None and betas.grad.abs().sum() > 0
    assert aa.grad is not None and aa.grad[:, 0].abs().sum() > 0  # root rotation matters


def test_skeleton_forward_sequence_keeps_leading_dims(skeleton):
    B, T = 2, 5
    rotmat = random_pose(B * T, seed=2).reshape(B, T, 24, 3, 3)
    betas = torch.randn(B, T, 10, dtype=torch.float64)
    transl = torch.randn(B, T, 3, dtype=torch.float64)
    seq = skeleton.forward_sequence(betas, rotmat, transl)
    assert seq.joints24_m.shape == (B, T, 24, 3) and seq.lsp14_m.shape == (B, T, 14, 3)
    assert seq.global_rotmat.shape == (B, T, 24, 3, 3)
    one = skeleton(betas[1], rotmat[1], transl[1])
    torch.testing.assert_close(seq.joints24_m[1], one.joints24_m)


def test_skeleton_rejects_bad_shapes_and_params(skeleton, skeleton_params, tmp_path):
    with pytest.raises(ShapeError, match="rotmat"):
        skeleton(torch.zeros(2, 10), torch.eye(3).expand(2, 23, 3, 3))
    with pytest.raises(ShapeError, match="betas"):
        skeleton(torch.zeros(2, 8), identity_pose(2))
    bad = dict(skeleton_params, shape_components_m=np.zeros((10, 23, 3)))
    with pytest.raises(DataFormatError, match="shape_components_m"):
        SkeletonBodyModel(bad)
    path = tmp_path / "params.npz"
    np.savez(path, **{k: v for k, v in skeleton_params.items() if k != "head_top_offset_m"})
    with pytest.raises(DataFormatError, match=r"params\.npz.*head_top_offset_m"):
        SkeletonBodyModel(path)
    (tmp_path / "corrupt.npz").write_bytes(b"not a zip")
    with pytest.raises(DataFormatError, match="corrupt.npz"):
        SkeletonBodyModel(tmp_path / "corrupt.npz")
    with pytest.raises(MissingBodyModelError, match="absent.npz"):
        SkeletonBodyModel(tmp_path / "absent.npz")


def test_skeleton_params_round_trip_through_npz(skeleton_params, tmp_path):
    path = tmp_path / "params.npz"
    np.savez(path, **skeleton_params)
    model = SkeletonBodyModel(path).double()
    ref = SkeletonBodyModel(skeleton_params).double()
    rotmat, betas = random_pose(2, seed=5), torch.randn(2, 10, dtype=torch.float64)
    torch.testing.assert_close(model(betas, rotmat).lsp14_m, ref(betas, rotmat).lsp14_m)


def test_default_skeleton_params_when_shipped():
    if not DEFAULT_PARAMS_PATH.is_file():
        pytest.skip(f"{DEFAULT_PARAMS_PATH} not generated yet")
    model = SkeletonBodyModel()
    rest = model.rest_joints(torch.zeros(1, 10))[0]
    height = (rest[15, 1] - rest[[7, 8], 1].min()).item()  # head above the ankles
    assert 1.0 < height < 2.0, height
    for key, shape in PARAM_SHAPES.items():
        assert tuple(getattr(model, key).shape) == shape


def test_joint_maps():
    assert joint_map("lsp14").num_joints == 14 and joint_map("lsp14").joint_names[13] == "headtop"
    assert joint_map("smpl24").joint_names[0] == "pelvis"
    with pytest.raises(UnknownNameError):
        joint_map("coco17")


# ---------------------------------------------------------------- SMPL (synthetic file)


@pytest.fixture(scope="module")
def smpl_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("body_models")
    arrays = write_synthetic_smpl_pkl(folder / "SMPL_NEUTRAL.pkl", seed=0, legacy_names=True)
    return folder, arrays


@pytest.fixture(scope="module")
def smpl_model(smpl_dir):
    folder, _ = smpl_dir
    return SMPLBodyModel(model_path=folder, gender="neutral").double()


def test_smpl_pickle_loads_without_chumpy(smpl_dir):
    folder, arrays = smpl_dir
    assert "chumpy" not in sys.modules
    data = (folder / "SMPL_NEUTRAL.pkl").read_bytes()
    assert b"chumpy.ch\nCh" in data and b"numpy.core.multiarray" in data and b"scipy.sparse.csc\n" in data
    loaded = load_smpl_model(folder / "SMPL_NEUTRAL.pkl")
    for key in ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "f"):
        np.testing.assert_array_equal(loaded[key], arrays[key], err_msg=key)
    assert loaded["J_regressor"].shape == (24, 6890) and isinstance(loaded["J_regressor"], np.ndarray)
    assert loaded["kintree_table"][0, 0] == -1 and tuple(loaded["kintree_table"][0]) == SMPL_PARENTS
    assert "chumpy" not in sys.modules


def test_smpl_rest_joints_are_regressed_from_the_template(smpl_model, smpl_dir):
    _, arrays = smpl_dir
    out = smpl_model(torch.zeros(2, 10, dtype=torch.float64), identity_pose(2))
    expected = arrays["J_regressor"] @ arrays["v_template"]
    np.testing.assert_allclose(out.joints24_m[0].numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(out.vertices_m[0].numpy(), arrays["v_template"], atol=1e-6)
    # Shaped rest joints follow the blend shapes.
    betas = torch.zeros(1, 10, dtype=torch.float64)
    betas[0, 3] = 2.0
    shaped = smpl_model(betas, identity_pose(1)).joints24_m[0].numpy()
    expected = arrays["J_regressor"] @ (arrays["v_template"] + 2.0 * arrays["shapedirs"][:, :, 3])
    np.testing.assert_allclose(shaped, expected, atol=1e-6)


def test_smpl_rotating_a_joint_moves_only_its_descendants(smpl_model):
    betas = torch.zeros(1, 10, dtype=torch.float64)
    rest = smpl_model(betas, identity_pose(1))
    rotmat = identity_pose(1)
    rotmat[0, 18] = axis_angle_to_matrix(torch.tensor([0.0, 0.0, 1.2], dtype=torch.float64))  # left elbow
    posed = smpl_model(betas, rotmat)
    moved = (posed.joints24_m - rest.joints24_m)[0].norm(dim=-1)
    children = descendants(18) - {18}
    assert all(moved[j] > 1e-3 for j in children), moved
    assert all(moved[j] < 1e-9 for j in range(24) if j not in children), moved
    # Bone lengths are preserved by the rotation.
    for j in children:
        p = SMPL_PARENTS[j]
        before = (rest.joints24_m[0, j] - rest.joints24_m[0, p]).norm()
        after = (posed.joints24_m[0, j] - posed.joints24_m[0, p]).norm()
        assert abs(before - after) < 1e-9


def test_smpl_joints_agree_with_shared_forward_kinematics(smpl_model):
    betas = 0.5 * torch.randn(3, 10, dtype=torch.float64)
    rotmat = random_pose(3, seed=4)
    transl = torch.randn(3, 3, dtype=torch.float64)
    out = smpl_model(betas, rotmat, transl)
    rest = smpl_model.rest_joints(betas)
    parents = list(SMPL_PARENTS)
    offsets = torch.cat([rest[:, :1], rest[:, 1:] - rest[:, parents[1:]]], dim=1)
    joints, global_rotmat = forward_kinematics(rotmat, offsets, transl)
    torch.testing.assert_close(out.joints24_m, joints, atol=1e-9, rtol=0)
    torch.testing.assert_close(out.global_rotmat, global_rotmat)
    torch.testing.assert_close(out.lsp14_m[:, :13], out.joints24_m[:, list(SMPL_TO_LSP14)])
    torch.testing.assert_close(out.lsp14_m[:, 13], out.vertices_m[:, HEAD_TOP_VERTEX])


def test_smpl_gradients_and_sequence(smpl_model):
    betas = torch.zeros(2, 3, 10, dtype=torch.float64, requires_grad=True)
    aa = (0.2 * torch.randn(2, 3, 24, 3, dtype=torch.float64)).requires_grad_(True)
    out = smpl_model.forward_sequence(betas, axis_angle_to_matrix(aa))
    assert out.vertices_m.shape == (2, 3, 6890, 3) and out.lsp14_m.shape == (2, 3, 14, 3)
    out.lsp14_m.sum().backward()
    assert betas.grad.abs().sum() > 0 and aa.grad.abs().sum() > 0


def test_smpl_h36m_joint_source(smpl_dir, tmp_path):
    folder, arrays = smpl_dir
    (tmp_path / "SMPL_NEUTRAL.pkl").symlink_to(folder / "SMPL_NEUTRAL.pkl")
    with pytest.raises(MissingBodyModelError, match="J_regressor_h36m.npy"):
        SMPLBodyModel(tmp_path, joint_source="h36m")
    regressor = np.random.default_rng(1).dirichlet(np.ones(6890), size=17)
    np.save(tmp_path / "J_regressor_h36m.npy", regressor)
    model = SMPLBodyModel(tmp_path, joint_source="h36m").double()
    out = model(torch.zeros(1, 10, dtype=torch.float64), identity_pose(1))
    expected = (regressor @ arrays["v_template"])[list(H36M_TO_J14)]
    np.testing.assert_allclose(out.lsp14_m[0].numpy(), expected, atol=1e-6)


def test_malicious_pickle_is_refused(tmp_path):
    path = tmp_path / "SMPL_NEUTRAL.pkl"
    write_malicious_pickle(path)
    with pytest.raises(DataFormatError) as info:
        load_smpl_model(path)
    message = str(info.value)
    assert str(path) in message and "system" in message and "refused" in message


def test_smpl_file_with_wrong_shape_names_the_field(tmp_path):
    path = tmp_path / "SMPL_MALE.pkl"
    arrays = {"v_template": np.zeros((100, 3))}
    path.write_bytes(pickle.dumps(arrays, protocol=2))
    with pytest.raises(DataFormatError, match="shapedirs"):  # first missing field
        load_smpl_model(path)
    arrays = {"v_template": np.zeros((100, 3)), "shapedirs": 0, "posedirs": 0, "J_regressor": 0, "weights": 0,
              "kintree_table": 0, "f": 0}  # fmt: skip
    path.write_bytes(pickle.dumps(arrays, protocol=2))
    with pytest.raises(DataFormatError, match=r"SMPL_MALE\.pkl.*v_template.*\(100, 3\)"):
        load_smpl_model(path)
    path.write_bytes(b"\x80\x02garbage")
    with pytest.raises(DataFormatError, match="SMPL_MALE.pkl"):
        load_smpl_model(path)


def test_missing_smpl_names_files_env_and_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("POSEBENCH_BODY_MODELS", str(tmp_path))
    with pytest.raises(MissingBodyModelError) as info:
        find_smpl_file("female")
    message = str(info.value)
    assert "SMPL_FEMALE.pkl" in message and "basicModel_f_lbs_10_207_0_v1.0.0.pkl" in message
    assert "POSEBENCH_BODY_MODELS" in message and str(tmp_path / "smpl") in message
    with pytest.raises(MissingBodyModelError, match="POSEBENCH_BODY_MODELS"):
        get_body_model("smpl")
    with pytest.raises(UnknownNameError):
        find_smpl_file("other")


def test_get_body_model_auto(smpl_dir, tmp_path, monkeypatch, skeleton_params):
    folder, _ = smpl_dir
    monkeypatch.setenv("POSEBENCH_BODY_MODELS", str(folder))
    assert isinstance(get_body_model("auto"), SMPLBodyModel)
    # The official download name in the smplx sub-folder layout is found too.
    (tmp_path / "smpl").mkdir()
    (tmp_path / "smpl" / "basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl").symlink_to(folder / "SMPL_NEUTRAL.pkl")
    monkeypatch.setenv("POSEBENCH_BODY_MODELS", str(tmp_path))
    assert find_smpl_file("neutral").name == "basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl"
    monkeypatch.setenv("POSEBENCH_BODY_MODELS", str(tmp_path / "empty"))
    if DEFAULT_PARAMS_PATH.is_file():
        assert isinstance(get_body_model("auto"), SkeletonBodyModel)
    else:
        with pytest.raises(MissingBodyModelError, match="skeleton_body_model.npz"):
            get_body_model("auto")
    with pytest.raises(UnknownNameError):
        get_body_model("smplx")


def test_smpl_npz_file_is_read_without_pickle(smpl_dir, tmp_path):
    _, arrays = smpl_dir
    np.savez(tmp_path / "SMPL_MALE.npz", **arrays)
    model = SMPLBodyModel(tmp_path, gender="male").double()
    assert model.model_file.name == "SMPL_MALE.npz"
    out = model(torch.zeros(1, 10, dtype=torch.float64), identity_pose(1))
    np.testing.assert_allclose(out.joints24_m[0].numpy(), arrays["J_regressor"] @ arrays["v_template"], atol=1e-6)


def test_chumpy_object_without_stored_array_is_reported(tmp_path):
    from posebench.body_models.smpl_file import _ChumpyStandIn, validate_smpl_arrays

    derived = _ChumpyStandIn()
    derived.__setstate__({"a": 1, "b": 2})  # what a chumpy operation node (not a plain Ch) stores
    with pytest.raises(DataFormatError, match="shapedirs.*chumpy object without a stored array"):
        validate_smpl_arrays({k: derived for k in ("v_template", "shapedirs", "posedirs", "J_regressor", "weights",
                                                    "kintree_table", "f")} | {"v_template": np.zeros((6890, 3))},
                             Path("model.pkl"))  # fmt: skip
