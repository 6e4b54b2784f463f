"""Config files: load them, apply ``--cfg-options`` overrides, check their sections.

Two kinds of file, trusted differently:

- A ``.py`` config is **Python code**: loading it runs it (mmengine ``Config``), with every right of the user
  running posebench. Use only ``.py`` configs you would run as a script.
- A ``.yaml``/``.yml`` config is **data**: read with ``yaml.safe_load``, so a Python tag such as
  ``!!python/object/apply:os.system`` is refused with :class:`~posebench.errors.ConfigError` and never run.
  A YAML config may inherit (``_base_``) only other YAML files, so it cannot pull code in.

Names and paths (:func:`resolve_config_path`): ``"meva/cpu"`` names a shipped config, the package data
``posebench_configs/meva/cpu.py`` (the repository folder ``configs/``). Shipped configs are looked up *before*
the current folder, so a file ``meva/cpu`` there cannot stand in for them; a file in the current folder is
reached by any other name (``my_run.py``) or by an explicit path (``./meva/cpu.py``, ``/abs/run.yaml``).
Returns plain dicts, so models and the loop never see mmengine types.
"""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from posebench.errors import ConfigError, PosebenchError

CONFIG_SUFFIXES = (".py", ".yaml", ".yml")
YAML_SUFFIXES = (".yaml", ".yml")


def _shipped_config_root() -> Path:
    """The folder of the shipped configs: the ``posebench_configs`` package (a wheel's package data, or the
    repository's ``configs/`` in an editable install)."""
    spec = importlib.util.find_spec("posebench_configs")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    # An editable install made before posebench_configs existed: the checkout's folder.
    return Path(__file__).resolve().parent.parent / "configs"


CONFIG_ROOT = _shipped_config_root()


def _is_explicit_path(text: str) -> bool:
    """``./x.py``, ``../x.py``, ``/abs/x.py``, ``~/x.py``: the user means this file, not a shipped name."""
    return Path(text).is_absolute() or text.startswith(("./", "../", "~", ".\\", "..\\")) or text in (".", "..")


def shipped_config_names() -> list[str]:
    """``["hmmr/cpu", ..., "vibe/test"]``: every shipped config, by the name ``--config`` takes."""
    if not CONFIG_ROOT.is_dir():
        return []
    return sorted(str(f.relative_to(CONFIG_ROOT).with_suffix("")) for f in CONFIG_ROOT.glob("*/*")
                  if f.suffix in CONFIG_SUFFIXES and not f.parent.name.startswith("_") and not f.name.startswith("_"))


def resolve_config_path(path_or_name: str | Path) -> Path:
    """The config file for a shipped name (``"meva/cpu"``, ``"meva/cpu.py"``) or a file path.

    Order: an explicit path (absolute, ``./``, ``../``, ``~``) is that file; otherwise the shipped config of
    that name, then the file of that name in the current folder.
    """
    text = str(path_or_name)
    given = Path(text).expanduser()
    if not _is_explicit_path(text):
        shipped = CONFIG_ROOT / (text if Path(text).suffix in CONFIG_SUFFIXES else f"{text}.py")
        if shipped.is_file():
            return shipped
    if given.is_file():
        if given.suffix not in CONFIG_SUFFIXES:
            raise ConfigError(f"{given}: a config file must end in {', '.join(CONFIG_SUFFIXES)}")
        return given
    raise ConfigError(f"config {text!r} not found (looked for the shipped config {text!r} under {CONFIG_ROOT} "
                      f"and for the file {given}); shipped configs: {', '.join(shipped_config_names()) or '(none)'}")


def _parse_value(text: str):
    """``"1"`` -> 1, ``"[1, 2]"`` -> [1, 2], ``"true"`` -> True, ``"none"`` -> None, else the string;
    ``"a,b"`` -> ["a", "b"]."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    if "," in text:
        return [_parse_value(part) for part in text.split(",")]
    return text


def parse_cfg_options(options: list[str] | dict | None) -> dict:
    """``["train.lr=1e-4", "model.window=16"]`` -> ``{"train.lr": 1e-4, "model.window": 16}``."""
    if options is None:
        return {}
    if isinstance(options, dict):
        return dict(options)
    parsed = {}
    for opt in options:
        if "=" not in opt:
            raise ConfigError(f"--cfg-options expects key=value, got {opt!r}")
        key, value = opt.split("=", 1)
        if not key.strip():
            raise ConfigError(f"--cfg-options has an empty key in {opt!r}")
        parsed[key.strip()] = _parse_value(value)
    return parsed


MAX_CONFIG_BYTES = 1_000_000  # a config is a few kB; anything near this is not a config


def load_config(path_or_name: str | Path, cfg_options: list[str] | dict | None = None) -> dict:
    """Read a config file (``_base_`` inheritance included), apply the dotted-key overrides, and return a
    plain dict. See the module docstring for which files run code (``.py``) and which are data (YAML)."""
    from mmengine.config import Config

    path = resolve_config_path(path_or_name)
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: {path.stat().st_size} bytes is too large for a config (at most {MAX_CONFIG_BYTES})")
    if path.suffix in YAML_SUFFIXES:
        cfg = Config(_read_yaml_config(path, ()))
    else:
        _refuse_yaml_bases(path, ())
        try:
            cfg = Config.fromfile(str(path))
        except PosebenchError:
            raise
        except Exception as exc:
            raise ConfigError(f"{path}: cannot read config ({type(exc).__name__}: {exc})") from exc
    options = parse_cfg_options(cfg_options)
    if options:
        cfg.merge_from_dict(options)
    return _plain(cfg.to_dict())


def _read_yaml_config(path: Path, chain: tuple[Path, ...]) -> dict:
    """A YAML config and its YAML ``_base_`` files (paths relative to the file), merged as mmengine does."""
    import yaml
    from mmengine.config import Config

    if path.resolve() in chain:
        raise ConfigError(f"{path}: field '_base_': inheritance loops back to this file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({type(exc).__name__}: {exc})") from exc
    try:
        data = yaml.load(text, Loader=_data_only_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{where}: not a data-only YAML config: {problem} "
                          "(Python tags such as !!python/object are refused; YAML configs are data, never code)") from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a YAML config must be a mapping of sections, got {type(data).__name__}")
    bases = data.pop("_base_", [])
    bases = [bases] if isinstance(bases, str) else bases
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        raise ConfigError(f"{path}: field '_base_' must be a file name or a list of file names")
    merged = Config({})
    for base in bases:
        base_path = (path.parent / base).expanduser()
        if base_path.suffix not in YAML_SUFFIXES:
            raise ConfigError(f"{path}: field '_base_': a YAML config inherits only YAML files, got {base!r}")
        if not base_path.is_file():
            raise ConfigError(f"{path}: field '_base_': {base_path} not found")
        merged.merge_from_dict(_read_yaml_config(base_path, chain + (path.resolve(),)))
    merged.merge_from_dict(data)
    return merged.to_dict()


def _data_only_yaml_loader():
    import yaml

    class DataOnlyYamlLoader(yaml.SafeLoader):
        """``yaml.SafeLoader`` (no Python tags) that also refuses aliases, whose expansion can blow a tiny
        file up into gigabytes once the config is copied and merged."""

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in configs",
                                                  event.start_mark)
            return super().compose_node(parent, index)

    return DataOnlyYamlLoader


def _refuse_yaml_bases(path: Path, chain: tuple[Path, ...]) -> None:
    """A ``.py`` config may not inherit a YAML file: mmengine would read it with PyYAML's unsafe loader."""
    if path.resolve() in chain or path.suffix != ".py":
        return
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError):
        return  # mmengine reports it, with the line
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_base_" for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                return
            for base in [bases] if isinstance(bases, str) else list(bases):
                base_path = path.parent / str(base)
                if base_path.suffix in YAML_SUFFIXES:
                    raise ConfigError(f"{path}: field '_base_': a .py config cannot inherit the YAML file {base!r} "
                                      "(posebench reads YAML only as data; load it directly with --config)")
                _refuse_yaml_bases(base_path, chain + (path.resolve(),))


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    return obj


def check_keys(section: str, given, dataclass_type) -> dict:
    """``given`` as a dict, after checking its keys are fields of ``dataclass_type``.

    A misspelt config key fails here with the section name and the known keys, instead of
    being silently ignored.
    """
    from dataclasses import fields

    given = dict(given or {})
    known = sorted(f.name for f in fields(dataclass_type))
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ConfigError(f"{section}: unknown keys {unknown}; known: {known}")
    from posebench.config_values import check_values

    return check_values(section, given, dataclass_type)  # types and ranges, one named error


def config_target(model: str, config: str | None, default: str | None = None) -> str:
    """The config a model trains with: a file path, or the shipped name FAMILY/NAME (``configs/FAMILY/NAME.py``).

    ``default``: the model's registered default config (``ModelSpec.config``: ``meva`` -> ``meva/cpu``,
    ``meva-test`` -> ``meva/test``), used without ``config``; FAMILY is its folder. Callers at the edge
    look it up in the registry and pass it (this module never resolves a model's name); None means
    ``MODEL/cpu``, the default of a model registered without a config.
    """
    default = default or f"{model}/cpu"
    name = config or default
    family = default.split("/")[0] if "/" in default else model
    return name if Path(name).suffix in CONFIG_SUFFIXES or "/" in name else f"{family}/{name}"


def config_tag(model: str, config: str | None, default: str | None = None) -> str:
    """The short config name that labels checkpoint folders (``cpu``, ``quick``, ``test``, a file's stem)."""
    return Path(config_target(model, config, default)).stem
