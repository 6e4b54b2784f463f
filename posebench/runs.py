"""One run's identity: a model trained on a dataset with a config and a seed.

``Run(model, dataset, config, seed)`` names the run's checkpoint folder (where ``posebench train``
writes and ``posebench eval``/``compare``/``demo`` look), and finds and loads its trained model.
``config`` is the config's tag (``cpu``, ``quick``, ``test``, or a config file's stem): the
commands build a Run at the edge with :meth:`Run.of`, which takes the tag from the model's
config the way ``posebench train`` does. The device rule (None -> cuda when available) is
:func:`posebench.devices.choose_device`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from posebench.errors import PosebenchError
from posebench.paths import cache_dir

CHECKPOINT = "best.pt"  # the checkpoint a run is evaluated with (chosen on the val split)


@dataclass(frozen=True)
class Run:
    model: str
    dataset: str
    config: str  # the config's tag
    seed: int = 0

    @classmethod
    def of(cls, model: str, dataset: str, config: str | None, seed: int = 0, *,
           default_config: str | None = None) -> "Run":
        """The run of ``model`` trained with ``config`` (a name, a file, or None: the model's default,
        ``default_config``: its ``ModelSpec.config``, which the edge looks up; see :func:`config_target`)."""
        from posebench.config import config_tag

        return cls(model, dataset, config_tag(model, config, default_config), seed)

    @property
    def checkpoint_dir(self) -> Path:
        """One folder per (model, dataset, config, seed), so a quick run never stands in for a full one."""
        return cache_dir() / "checkpoints" / self.model / self.dataset / self.config / f"seed{self.seed}"

    @property
    def checkpoint(self) -> Path:
        return self.checkpoint_dir / CHECKPOINT

    def find_checkpoint(self, explicit: str | Path | None = None, config_flag: str | None = None) -> Path:
        """``explicit`` (a file the user named) or this run's cached checkpoint; a missing one is a
        :class:`PosebenchError` naming the command that makes it (``config_flag``: the ``--config``
        value to repeat in it)."""
        if explicit is not None:
            path = Path(explicit).expanduser()
            if not path.is_file():
                raise PosebenchError(f"checkpoint for {self.model!r} not found: {path}")
            return path
        if not self.checkpoint.is_file():
            flag = "" if config_flag is None else f" --config {config_flag}"
            raise PosebenchError(
                f"no trained checkpoint for model {self.model!r} on dataset {self.dataset!r} (config "
                f"{self.config!r}, seed {self.seed}) at {self.checkpoint}. Make it with: posebench train "
                f"{self.model} --dataset {self.dataset}{flag} --seed {self.seed}")
        return self.checkpoint


def find_checkpoint(model: str, dataset: str, seed: int, explicit: dict[str, str], config: str | None = None, *,
                    default_config: str | None = None) -> Path:
    """The checkpoint to evaluate ``model`` with: ``explicit[model]`` or the one ``posebench train`` cached
    (``default_config``: the model's ``ModelSpec.config``, see :meth:`Run.of`)."""
    run = Run.of(model, dataset, config, seed, default_config=default_config)
    return run.find_checkpoint(explicit.get(model), config_flag=config)


def load_trained_model(path: Path, device: str, model_name: str | None = None, *, build):
    """The model in checkpoint ``path`` on ``device``, in eval mode, made by ``build(model_name, hparams)``
    (the edge passes :func:`posebench.registry.build_model`); with ``model_name``, a CheckpointError if
    it holds another model (hparams and size are checked before building)."""
    return load_trained(path, device, model_name, build=build)[0]


def load_trained(path: Path, device: str, model_name: str | None = None, *, build):
    """``(model, checkpoint)``: :func:`load_trained_model` and the checkpoint dict it was read from
    (its ``extra``: the training budget...), the file read once."""
    from posebench.training.checkpoint import load_checkpoint, model_from_checkpoint

    ckpt = load_checkpoint(path, model_name=model_name, map_location=device)
    return model_from_checkpoint(ckpt, path, build=build).to(device).eval(), ckpt
