"""Key shapes of the parts the released VIBE and MEVA checkpoints share (docs/official_implementations.md
§3.1-§3.3), written down here, apart from the model code, for the tests that compare against them."""
from __future__ import annotations

# The SPIN IEF regressor at the released sizes: 2048-d features + 144 (6D pose) + 10 + 3 = 2205 inputs,
# two 1024-d hidden layers, the mean parameters as buffers.
SPIN_REGRESSOR_SHAPES = {
    "regressor.fc1.weight": (1024, 2205), "regressor.fc1.bias": (1024,),
    "regressor.fc2.weight": (1024, 1024), "regressor.fc2.bias": (1024,),
    "regressor.decpose.weight": (144, 1024), "regressor.decpose.bias": (144,),
    "regressor.decshape.weight": (10, 1024), "regressor.decshape.bias": (10,),
    "regressor.deccam.weight": (3, 1024), "regressor.deccam.bias": (3,),
    "regressor.init_pose": (1, 144), "regressor.init_shape": (1, 10), "regressor.init_cam": (1, 3),
}  # fmt: skip


def gru_shapes(prefix: str, input_size: int, hidden: int, layers: int = 2,
               bidirectional: bool = False) -> dict[str, tuple[int, ...]]:
    """The state-dict shapes of ``torch.nn.GRU(input_size, hidden, layers, bidirectional=...)``
    under ``prefix`` (``"encoder.gru."``)."""
    directions = ("", "_reverse") if bidirectional else ("",)
    shapes = {}
    for layer in range(layers):
        layer_in = input_size if layer == 0 else hidden * len(directions)
        for sfx in directions:
            shapes[f"{prefix}weight_ih_l{layer}{sfx}"] = (3 * hidden, layer_in)
            shapes[f"{prefix}weight_hh_l{layer}{sfx}"] = (3 * hidden, hidden)
            shapes[f"{prefix}bias_ih_l{layer}{sfx}"] = (3 * hidden,)
            shapes[f"{prefix}bias_hh_l{layer}{sfx}"] = (3 * hidden,)
    return shapes
