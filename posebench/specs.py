"""Typed registration specs: what a plugin hands to the ``register`` callable of each hook.

One dataclass per kind of thing a plugin registers (:mod:`posebench.hookspecs`)::

    @hookimpl
    def posebench_register_models(register):
        register(ModelSpec("mymodel", build, train=train, window=16, description="..."))

``register(name, factory, **metadata)`` (the form before specs) still works for one release,
with a :class:`DeprecationWarning`; :func:`spec_from_legacy` turns it into the spec.

A spec's fields become the registry entry (:class:`posebench.registry.Entry`): ``entry.obj``
is the spec's callable or object, ``entry.metadata`` its other fields, ``entry.spec`` the spec.
This module imports nothing heavy, so listing plugins stays fast.
"""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol


class TrainFn(Protocol):
    """The ``train`` entry of a model: ``posebench train MODEL`` calls it with keywords.

    ``cfg``: the whole loaded config (sections ``model``, ``train``, ...); ``dataset_name``: a
    registered dataset; ``out_dir``: the run folder (``best.pt``/``last.pt`` go there); ``stage``:
    ``"all"`` or a model-specific stage (MEVA: ``"vae"``, ``"e2e"``). Returns the best checkpoint.
    """

    def __call__(self, cfg: dict, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
                 stage: str = "all", seed: int = 0) -> Path: ...


@dataclass(frozen=True)
class _Spec:
    """Common part: the name, and which field is the registry entry's ``obj``."""

    kind: ClassVar[str]
    obj_field: ClassVar[str]

    def entry_name(self) -> str:
        return self.name  # type: ignore[attr-defined]

    def entry_obj(self) -> Any:
        return getattr(self, self.obj_field)

    def entry_metadata(self) -> dict:
        """Every field but the name and ``obj``; ``extra`` (legacy keywords) is flattened in."""
        meta = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in ("name", self.obj_field, "extra")}
        return {**meta, **dict(getattr(self, "extra", None) or {})}


@dataclass(frozen=True)
class ModelSpec(_Spec):
    """A model. ``build(cfg: dict | None) -> PoseModel``: ``cfg`` is the model section or a whole
    config (``input_dim`` = the dataset's feature size); None gives the model's default sizes.

    - ``train``: :class:`TrainFn`, or None for a model that cannot be trained by ``posebench train``.
    - ``window``: frames per window the model is fed (must equal the model's ``window``); None when
      the config decides (``model.window``).
    - ``inputs``: what the model reads from a batch (``"features"``, ``"kp2d"``).
    - ``outputs``: ``"smpl"`` (rotations, shape and joints) or ``"joints"`` (3D joints only).
    - ``config``: the default config, ``FAMILY/NAME`` of the shipped configs (``"vibe/cpu"``) —
      ``--config quick`` then means ``FAMILY/quick``.
    - ``description``, ``paper``, ``licence``: shown by ``posebench models``.
    """

    kind: ClassVar[str] = "model"
    obj_field: ClassVar[str] = "build"

    name: str
    build: Callable[[dict | None], Any]
    train: TrainFn | None = None
    window: int | None = None
    inputs: tuple[str, ...] = ("features",)
    outputs: str = "smpl"
    config: str | None = None
    description: str = ""
    paper: str = ""
    licence: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetSpec(_Spec):
    """A dataset. ``factory(root: Path | None, **options) -> PoseDataset`` (``root`` None: the
    default folder under ``POSEBENCH_DATA``; ``options`` from a config's ``dataset_options``).

    - ``fetch(root=None, mirror=None)``: builds or downloads the data (``posebench data fetch``), or None.
    - ``show(out, root=None)``: draws a figure of one clip (``posebench datasets show``), or None.
    """

    kind: ClassVar[str] = "dataset"
    obj_field: ClassVar[str] = "factory"

    name: str
    factory: Callable[..., Any]
    description: str = ""
    licence: str = ""
    fetch: Callable[..., Any] | None = None
    show: Callable[..., Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricSpec(_Spec):
    """A metric. ``fn(pred_m, gt_m) -> (N,)``: per-frame values in ``unit`` from joints (N, J, 3)
    in metres. ``label``: its column in results tables (default: the name in capitals)."""

    kind: ClassVar[str] = "metric"
    obj_field: ClassVar[str] = "fn"

    name: str
    fn: Callable[..., Any]
    unit: str = ""
    label: str | None = None
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def display_label(self) -> str:
        return self.label or self.name.upper()


@dataclass(frozen=True)
class ProtocolSpec(_Spec):
    """An evaluation protocol (a :class:`posebench.metrics.protocols.Protocol`), registered under
    its versioned id (``name``, e.g. ``"posebench-v1"``)."""

    kind: ClassVar[str] = "protocol"
    obj_field: ClassVar[str] = "protocol"

    name: str
    protocol: Any
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, protocol) -> "ProtocolSpec":
        """The spec of ``protocol``: its id and description."""
        return cls(protocol.id, protocol, description=protocol.description)


@dataclass(frozen=True)
class FilterSpec(_Spec):
    """A post-hoc filter, used as ``MODEL+FILTER``. ``fn(x: (N, D) float64, fps: float, **params)
    -> (N, D)`` smooths one contiguous run of N frames (:mod:`posebench.filters.apply`);
    ``defaults`` names every parameter (unknown ones are refused)."""

    kind: ClassVar[str] = "filter"
    obj_field: ClassVar[str] = "fn"

    name: str
    fn: Callable[..., Any]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


SPEC_TYPES: dict[str, type[_Spec]] = {s.kind: s for s in (ModelSpec, DatasetSpec, MetricSpec, ProtocolSpec,
                                                           FilterSpec)}


def spec_from_legacy(kind: str, name: str, obj: Any, *, stacklevel: int = 2, **metadata) -> _Spec:
    """The spec of a ``register(name, obj, **metadata)`` call (deprecated; one release left).
    Keywords that are not fields of the spec are kept in its ``extra``. ``stacklevel``: the frame
    the warning names, counted from the caller of this function."""
    warnings.warn(f"register({name!r}, obj, **metadata) is deprecated: register a "
                  f"posebench.specs.{SPEC_TYPES[kind].__name__} instead", DeprecationWarning,
                  stacklevel=stacklevel + 1)
    cls = SPEC_TYPES[kind]
    known = {f.name for f in dataclasses.fields(cls)} - {"name", cls.obj_field, "extra"}
    fields_ = {k: v for k, v in metadata.items() if k in known}
    if "inputs" in fields_:
        fields_["inputs"] = tuple(fields_["inputs"])
    extra = {k: v for k, v in metadata.items() if k not in known}
    return cls(name, obj, **fields_, extra=extra)


def lazy(target: str) -> Callable[..., Any]:
    """``"package.module:attribute"`` as a callable that imports the module on its first call, so
    loading a plugin (``posebench --help``, ``posebench models``) imports neither torch nor the model."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ValueError(f"lazy({target!r}): expected 'package.module:attribute'")

    def call(*args, **kwargs):
        import importlib

        return getattr(importlib.import_module(module_name), attr)(*args, **kwargs)

    call.__qualname__ = call.__name__ = target
    return call


def supervised_trainer(model_class: str, label: str) -> TrainFn:
    """The ``train`` of a model trained by the core's one-stage supervised trainer
    (:func:`posebench.training.supervised.train_supervised`) as it is: ``model_class``
    (``"package.module:Class"``) and the trainer are imported on the first call; ``label`` names
    the model in messages ("the TCN")."""

    def train(cfg: dict, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
              stage: str = "all", seed: int = 0) -> Path:
        import importlib

        from posebench.api import open_dataset, validation_protocol  # a TrainFn takes names: it is an edge
        from posebench.training.supervised import train_supervised

        module_name, _, attr = model_class.partition(":")
        cls = getattr(importlib.import_module(module_name), attr)
        return train_supervised(cls, label, cfg, open_dataset(dataset_name, cfg or {}), dataset_name, out_dir,
                                protocol=validation_protocol(cfg or {}), device=device, resume=resume, stage=stage,
                                seed=seed)

    train.__qualname__ = train.__name__ = f"train_supervised[{model_class}]"
    return train


def register_with_test_twin(register: Callable, spec: ModelSpec, *, test_model: Callable[[dict], Any],
                            test_config: str, label: str | None = None) -> None:
    """Register ``spec`` and its ``NAME-test`` twin: the same model at the tiny sizes of the
    ``test_config`` config (``"vibe/test"``), which trains in seconds (CI).

    ``test_model(model_cfg)``: the twin's model class (its own ``name`` keeps checkpoints apart);
    it is built with the test config's model section, overridden by the ``cfg`` given (a model
    section or a whole config; ``input_dim`` may sit at the top). ``spec.train`` must accept
    ``model_name``: the twin trains with the ``cfg`` given, or the test config when it is empty.
    Every other field is shared.
    """
    twin = f"{spec.name}-test"

    def build_test(cfg: dict | None = None):
        from posebench.config import load_config
        from posebench.models.base import model_section

        return test_model({**load_config(test_config)["model"], **model_section(cfg)})

    def train_test(cfg: dict | None, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
                   stage: str = "all", seed: int = 0) -> Path:
        from posebench.config import load_config

        return spec.train(cfg or load_config(test_config), dataset_name, out_dir, device=device, resume=resume,
                          stage=stage, seed=seed, model_name=twin)

    build_test.__qualname__ = f"build[{twin}]"
    train_test.__qualname__ = f"train[{twin}]"
    register(spec)
    register(dataclasses.replace(
        spec, name=twin, build=build_test, train=train_test if spec.train else None, config=test_config,
        description=f"{label or spec.name} at tiny sizes (configs/{test_config}.py) for CI; trains in seconds"))


def register_plugin_model(register: Callable, name: str, *, window: int | None, label: str, description: str,
                          paper: str, licence: str, outputs: str = "smpl", test_class: str | None = None,
                          supervised_class: str | None = None) -> None:
    """Register the model ``name`` of a plugin package laid out as the bundled ones are.

    The package is ``posebench_<name>``: ``build_<name>`` in its ``model`` module; ``train_<name>``
    in its ``train`` module, or, with ``supervised_class`` (a class of its ``model`` module), the
    core's supervised trainer as it is (:func:`supervised_trainer`); the default config is
    ``<name>/cpu``. With ``test_class`` (a class of its ``model`` module) the ``<name>-test`` twin
    is registered too, with the config ``<name>/test`` (:func:`register_with_test_twin`).
    ``label`` names the model in messages ("VIBE"); the other keywords are :class:`ModelSpec` fields.
    """
    package = f"posebench_{name}"
    if supervised_class is not None:
        train = supervised_trainer(f"{package}.model:{supervised_class}", f"the {label}")
    else:
        train = lazy(f"{package}.train:train_{name}")
    spec = ModelSpec(name, lazy(f"{package}.model:build_{name}"), train=train, window=window, outputs=outputs,
                     config=f"{name}/cpu", description=description, paper=paper, licence=licence)
    if test_class is None:
        register(spec)
    else:
        register_with_test_twin(register, spec, test_model=lazy(f"{package}.model:{test_class}"),
                                test_config=f"{name}/test", label=label)
