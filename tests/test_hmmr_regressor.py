"""HMMR's per-frame regressor is HMR's f_3D: ReLU after fc1 and fc2 (TF-slim's default), then
dropout; VIBE's and MEVA's (SPIN's) have no non-linearity there."""
from __future__ import annotations

import pytest
import torch

from posebench.errors import PosebenchError
from posebench.nn import IterativeRegressor
from posebench_hmmr.model import HMMR, HmmrConfig
from posebench_meva.model import MEVA

pytestmark = pytest.mark.usefixtures("single_thread")


def _by_hand(reg: IterativeRegressor, feat: torch.Tensor, relu: bool) -> torch.Tensor:
    """One IEF iteration from the mean parameters, written out (dropout off)."""
    act = torch.relu if relu else (lambda v: v)
    x = torch.cat([feat, reg.init_pose.expand(len(feat), -1), reg.init_shape.expand(len(feat), -1),
                   reg.init_cam.expand(len(feat), -1)], 1)
    return reg.init_pose + reg.decpose(act(reg.fc2(act(reg.fc1(x)))))


@pytest.mark.parametrize("activation,relu", [("relu", True), ("none", False)])
def test_regressor_hidden_activation_by_hand(activation, relu):
    torch.manual_seed(0)
    reg = IterativeRegressor(feat_dim=8, hidden=16, n_iter=1, dropout=0.0, hidden_activation=activation).eval()
    torch.nn.init.normal_(reg.decpose.weight, std=0.5)
    feat = torch.randn(5, 8)
    out = reg(feat)["pose6d"]
    torch.testing.assert_close(out, _by_hand(reg, feat, relu))
    other = _by_hand(reg, feat, not relu)
    assert not torch.allclose(out, other, atol=1e-4)  # the two builds really differ
    assert set(reg.state_dict()) == set(IterativeRegressor(feat_dim=8, hidden=16).state_dict())  # same keys


def test_hmmr_uses_hmr_relus_and_vibe_meva_do_not():
    hmmr = HMMR({"input_dim": 16, "feat_dim": 32, "regressor_hidden": 32, "groupnorm_groups": 8})
    assert HmmrConfig().regressor_activation == "relu"
    for head in (hmmr.regressor, hmmr.past_head, hmmr.future_head):
        assert head.hidden_activation == "relu" and isinstance(head.act, torch.nn.ReLU)
    spin_like = HMMR({"input_dim": 16, "feat_dim": 32, "regressor_hidden": 32, "groupnorm_groups": 8,
                      "regressor_activation": "none"})
    assert spin_like.regressor.hidden_activation == "none"
    meva = MEVA({"input_dim": 16, "feat_dim": 16, "ste_hidden": 8, "vme_hidden": 8, "regressor_hidden": 16,
                 "vae_init_hidden": 8, "vae": {"nz": 8, "nx_rnn": 8, "nh_mlp": [8, 8]}})
    assert meva.regressor.hidden_activation == "none"
    with pytest.raises(PosebenchError, match="regressor_activation"):
        HmmrConfig.from_dict({"regressor_activation": "tanh"})
