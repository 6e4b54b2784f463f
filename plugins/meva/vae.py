"""MEVA's motion VAE, the released ``VAErecV2`` design (docs/official_implementations.md §3.3, §4.2).

A window of ``t_total`` frames of 24 SMPL joint rotations in the **MEVA 6D layout**
(``posebench.geometry.rotations.matrix_to_rot6d_meva``; 24 x 6 = 144 values per frame, root
first) is compressed to one latent code ``z`` and decoded back, frame by frame, by a GRU.

API is **batch-major**: motion is ``(B, T, 144)``. (The official code is time-major,
``(T, B, 144)``; only the loss and the tensors inside :meth:`MotionVAE.decode` care, and
sums over all elements are the same either way.)

Parameter names and shapes equal the official ones so a released ``model_*.p`` loads
(see :mod:`posebench_meva.official`)::

    e_rnn.rnn_f / e_rnn.rnn_b      GRUCell(nx -> nx_rnn/2)      bidirectional encoder
    e_mlp.affine_layers.{0,1}      tanh MLP nx_rnn -> nh_mlp
    e_mu, e_logvar                 Linear(nh_mlp[-1] -> nz)
    init_pose_mlp.affine_layers.*  relu MLP nz -> nh_mlp         (official: nx_rnn inputs, == nz)
    init_pose_out                  Linear(nh_mlp[-1] -> nx)      first "previous frame" x_0
    d_rnn.rnn_f                    GRUCell(nx + nz -> nx_rnn)    decoder, h_0 = 0
    d_mlp.affine_layers.*          tanh MLP nx_rnn -> nh_mlp
    d_out                          Linear(nh_mlp[-1] -> nx)

With ``linear_path`` (a posebench option, off in the released design) two more layers sit beside
the GRUs: ``lin_enc`` Linear(t_total*nx -> nz) adds to ``mu`` and ``lin_dec`` Linear(nz -> t_total*nx)
adds to every decoded frame. :meth:`MotionVAE.init_linear_path` sets them to the principal
components of training windows (whitened), so training starts from the best linear code of ``nz``
numbers and the GRUs learn what a linear code misses.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from posebench.config import check_keys
from posebench.errors import ShapeError

ROOT_DIM = 6  # the root joint's 6D rotation comes first in each 144-d frame


@dataclass
class VAEConfig:
    """Sizes of the motion VAE. Defaults are the released ``vae_rec_2`` sizes."""

    nx: int = 144  # 24 joints x 6D (MEVA layout)
    nz: int = 512
    nx_rnn: int = 512
    nh_mlp: tuple[int, ...] = (1024, 512)
    t_total: int = 90
    # False: each frame is decoded outright (VAErecV2). True: the decoder outputs the change from
    # the previous frame (x_t = x_{t-1} + d_out(...)), a posebench option that trains in far
    # fewer steps; official checkpoints are always read with False.
    residual_decoder: bool = False
    # True: a linear encoder/decoder pair beside the GRUs (class docstring), PCA-initialised from
    # training windows before the first step. Official checkpoints are always read with False.
    linear_path: bool = False

    @classmethod
    def from_dict(cls, d: dict | None) -> "VAEConfig":
        return cls(**check_keys("VAE config", d, cls))

    def to_dict(self) -> dict:
        out = asdict(self)
        out["nh_mlp"] = list(self.nh_mlp)
        return out


class MLP(nn.Module):
    """khrylib-style MLP: ``affine_layers.{i}`` Linear layers, each followed by the activation."""

    def __init__(self, in_dim: int, hidden: tuple[int, ...], activation: str):
        super().__init__()
        if activation not in ("tanh", "relu"):
            raise ShapeError(f"MLP activation must be 'tanh' or 'relu', got {activation!r}")
        self.activation = torch.tanh if activation == "tanh" else torch.relu
        dims = (in_dim, *hidden)
        self.affine_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out_dim = dims[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.affine_layers:
            x = self.activation(layer(x))
        return x


def _gru_step(gi: torch.Tensor, h: torch.Tensor, cell: nn.GRUCell) -> torch.Tensor:
    """One GRUCell step from a precomputed input projection ``gi = W_ih x + b_ih`` (B, 3H).

    Same math as ``nn.GRUCell`` (gate order r, z, n); precomputing ``gi`` for all frames
    at once saves most of the per-step work on CPU.
    """
    gh = torch.nn.functional.linear(h, cell.weight_hh, cell.bias_hh)
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    u = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1.0 - u) * n + u * h


class BiGRUCellEncoder(nn.Module):
    """Bidirectional GRU made of two GRUCells (keys ``rnn_f``, ``rnn_b``), hidden ``out_dim/2`` each.

    forward: (B, T, in_dim) -> (B, T, out_dim), per frame ``[forward state | backward state]``.
    """

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        if out_dim % 2:
            raise ShapeError(f"bidirectional encoder needs an even hidden size, got nx_rnn={out_dim}")
        self.rnn_f = nn.GRUCell(in_dim, out_dim // 2)
        self.rnn_b = nn.GRUCell(in_dim, out_dim // 2)

    def _scan(self, cell: nn.GRUCell, x: torch.Tensor, reverse: bool) -> torch.Tensor:
        B, T, _ = x.shape
        gi_all = torch.nn.functional.linear(x, cell.weight_ih, cell.bias_ih)  # (B, T, 3H)
        h = x.new_zeros(B, cell.hidden_size)
        states = [None] * T
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            h = _gru_step(gi_all[:, t], h, cell)
            states[t] = h
        return torch.stack(states, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self._scan(self.rnn_f, x, False), self._scan(self.rnn_b, x, True)], dim=-1)


class GRUCellDecoderRNN(nn.Module):
    """Holds the decoder's single GRUCell under the official key ``rnn_f``."""

    def __init__(self, in_dim: int, hidden: int):
        super().__init__()
        self.rnn_f = nn.GRUCell(in_dim, hidden)


class MotionVAE(nn.Module):
    """``VAErecV2``: motion (B, t_total, nx) <-> latent (B, nz). ``z = mu`` in eval mode."""

    def __init__(self, cfg: VAEConfig | dict | None = None):
        super().__init__()
        cfg = cfg if isinstance(cfg, VAEConfig) else VAEConfig.from_dict(cfg)
        self.cfg = cfg
        nh = cfg.nh_mlp
        self.e_rnn = BiGRUCellEncoder(cfg.nx, cfg.nx_rnn)
        self.e_mlp = MLP(cfg.nx_rnn, nh, "tanh")
        self.e_mu = nn.Linear(nh[-1], cfg.nz)
        self.e_logvar = nn.Linear(nh[-1], cfg.nz)
        self.init_pose_mlp = MLP(cfg.nz, nh, "relu")
        self.init_pose_out = nn.Linear(nh[-1], cfg.nx)
        self.d_rnn = GRUCellDecoderRNN(cfg.nx + cfg.nz, cfg.nx_rnn)
        self.d_mlp = MLP(cfg.nx_rnn, nh, "tanh")
        self.d_out = nn.Linear(nh[-1], cfg.nx)
        if cfg.linear_path:
            flat = cfg.t_total * cfg.nx
            self.lin_enc = nn.Linear(flat, cfg.nz)
            self.lin_dec = nn.Linear(cfg.nz, flat)

    @property
    def t_total(self) -> int:
        return self.cfg.t_total

    def _check_motion(self, x: torch.Tensor) -> None:
        if x.dim() != 3 or x.shape[-1] != self.cfg.nx:
            raise ShapeError(f"MotionVAE: motion must be (B, T, {self.cfg.nx}), got {tuple(x.shape)}")

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, nx) motion -> ``mu``, ``logvar`` (B, nz). The encoder states are averaged over time."""
        self._check_motion(x)
        h = self.e_mlp(self.e_rnn(x).mean(dim=1))
        mu = self.e_mu(h)
        if self.cfg.linear_path:
            if x.shape[1] != self.cfg.t_total:
                raise ShapeError(f"MotionVAE with linear_path: windows must have t_total={self.cfg.t_total} frames, "
                                 f"got {x.shape[1]}")
            mu = mu + self.lin_enc(x.flatten(1))
        return mu, self.e_logvar(h)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """``z = mu + eps * exp(logvar / 2)`` while training, ``z = mu`` in eval mode."""
        if not self.training:
            return mu
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, nz) latent -> (B, t_total, nx) motion. ``x_0`` seeds the recursion and is not emitted."""
        if z.dim() != 2 or z.shape[-1] != self.cfg.nz:
            raise ShapeError(f"MotionVAE.decode: z must be (B, {self.cfg.nz}), got {tuple(z.shape)}")
        cell = self.d_rnn.rnn_f
        nx = self.cfg.nx
        x_prev = self.init_pose_out(self.init_pose_mlp(z))
        # GRU input is [x_prev | z]: the z half of the input projection is the same every step.
        gi_z = torch.nn.functional.linear(z, cell.weight_ih[:, nx:], cell.bias_ih)
        w_ih_x = cell.weight_ih[:, :nx]
        h = z.new_zeros(z.shape[0], cell.hidden_size)
        frames = []
        for _ in range(self.cfg.t_total):
            h = _gru_step(torch.nn.functional.linear(x_prev, w_ih_x) + gi_z, h, cell)
            step = self.d_out(self.d_mlp(h))
            x_prev = x_prev + step if self.cfg.residual_decoder else step
            frames.append(x_prev)
        out = torch.stack(frames, dim=1)
        if self.cfg.linear_path:
            out = out + self.lin_dec(z).view(z.shape[0], self.cfg.t_total, nx)
        return out

    @torch.no_grad()
    def init_linear_path(self, windows: torch.Tensor, logvar_init: float = -4.0) -> float:
        """Start the linear path at the whitened PCA of ``windows`` (N, t_total, nx) and the GRU paths at 0.

        ``lin_dec(z) = mean + sum_k z_k * s_k * v_k`` and ``lin_enc(x) = (v_k . (x - mean)) / s_k`` for the
        first ``nz`` principal directions ``v_k`` (coefficient std ``s_k``), so ``mu`` starts near unit
        variance (what the KL term asks for). ``e_mu``, ``init_pose_out`` and ``d_out`` start at zero, so
        the GRUs add nothing until they learn to; ``e_logvar`` starts at ``logvar_init`` (posterior std
        ``exp(logvar_init / 2)``), small enough that sampling does not drown the code. Returns the
        fraction of the windows' variance the code keeps.
        """
        if not self.cfg.linear_path:
            raise ShapeError("MotionVAE.init_linear_path: the VAE was built without linear_path")
        self._check_motion(windows)
        n, nz = windows.shape[0], self.cfg.nz
        if windows.shape[1] != self.cfg.t_total or n < 2:
            raise ShapeError(f"MotionVAE.init_linear_path: need >= 2 windows of {self.cfg.t_total} frames, "
                             f"got {tuple(windows.shape)}")
        flat = windows.flatten(1).double()
        mean = flat.mean(0)
        centred = flat - mean
        # A randomised SVD (a few power iterations) finds the leading nz directions at a fraction of a full SVD's cost.
        _, sing, v = torch.svd_lowrank(centred, q=min(nz + 10, *centred.shape), niter=4)
        std = sing / (n - 1) ** 0.5  # coefficient std per direction, descending
        k = int(min(nz, (std > 1e-6 * std[0]).sum()))  # directions the windows really vary along
        std = std[:k]
        dec = flat.new_zeros(flat.shape[1], nz)
        enc = flat.new_zeros(nz, flat.shape[1])
        dec[:, :k] = v[:, :k] * std
        enc[:k] = v[:, :k].T / std[:, None]
        self.lin_dec.weight.copy_(dec)
        self.lin_dec.bias.copy_(mean)
        self.lin_enc.weight.copy_(enc)
        self.lin_enc.bias.copy_(-(enc @ mean))
        for layer in (self.e_mu, self.init_pose_out, self.d_out):
            layer.weight.zero_()
            layer.bias.zero_()
        self.e_logvar.weight.zero_()
        self.e_logvar.bias.fill_(logvar_init)
        return float((sing[:k] ** 2).sum() / centred.pow(2).sum())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, t_total, nx) -> reconstruction (B, t_total, nx), ``mu``, ``logvar`` (B, nz)."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


@dataclass
class VAELossWeights:
    """§4.2 (``vae_rec_2``): reconstruction 1, root 6D 20, KLD 0.1 (constant, no annealing)."""

    mse: float = 1.0
    root: float = 20.0
    kld: float = 0.1


def vae_loss(
    recon: torch.Tensor, target: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
    weights: VAELossWeights | None = None,
) -> dict[str, torch.Tensor]:
    """MEVA's VAE loss; every term is a sum per sample averaged over the batch.

    recon, target: (B, T, 144); mu, logvar: (B, nz).
    ``mse = sum (recon - target)^2 / B``; ``mse_root`` the same on the root's 6 values;
    ``kld = -0.5 sum (1 + logvar - mu^2 - exp(logvar)) / B``;
    ``loss = w.mse * mse + w.root * mse_root + w.kld * kld``.
    """
    w = weights or VAELossWeights()
    if recon.shape != target.shape:
        raise ShapeError(f"vae_loss: recon {tuple(recon.shape)} and target {tuple(target.shape)} differ")
    B = target.shape[0]
    mse = (recon - target).pow(2).sum() / B
    mse_root = (recon[..., :ROOT_DIM] - target[..., :ROOT_DIM]).pow(2).sum() / B
    kld = -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).sum() / B
    loss = w.mse * mse + w.root * mse_root + w.kld * kld
    return {"loss": loss, "mse": mse, "mse_root": mse_root, "kld": kld}
