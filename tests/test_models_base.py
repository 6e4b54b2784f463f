"""The PoseModel base: the body model is moved with the model but never checkpointed."""
import pytest
import torch
from training_fixtures import body_model

from posebench.errors import PosebenchError
from posebench.models.base import PoseModel


class _WithBody(PoseModel):
    def __init__(self):
        super().__init__({})
        self.head = torch.nn.Linear(2, 2)
        self.set_body_model(body_model())


def test_body_model_moves_with_the_model_and_stays_out_of_the_state_dict():
    model = _WithBody()
    assert all(not k.startswith(("body", "_body")) for k in model.state_dict())
    buffers = list(model.body_model.buffers()) + list(model.body_model.parameters())
    assert buffers
    model.double()
    assert model.head.weight.dtype == torch.float64
    assert all(b.dtype == torch.float64 for b in model.body_model.buffers() if b.is_floating_point())


def test_missing_body_model_is_a_clear_error():
    class _NoBody(PoseModel):
        pass

    with pytest.raises(PosebenchError, match="set_body_model"):
        _NoBody().body_model


def test_config_class_checks_the_config_and_fills_hparams_with_defaults():
    from dataclasses import dataclass

    @dataclass
    class SizeConfig:
        width: int = 4
        depth: int = 2

        @classmethod
        def from_dict(cls, d):
            unknown = set(d or {}) - {"width", "depth"}
            if unknown:
                raise PosebenchError(f"unknown keys {sorted(unknown)}")
            return cls(**(d or {}))

    class Sized(PoseModel):
        config_class = SizeConfig

    model = Sized({"width": 8})
    assert model.cfg == SizeConfig(width=8, depth=2)
    assert model.hparams == {"width": 8, "depth": 2}  # a checkpoint's hparams rebuild the same model
    with pytest.raises(PosebenchError, match="unknown keys"):
        Sized({"widht": 8})
    assert PoseModel({"free": 1}).hparams == {"free": 1}  # without a config class: kept as given
