"""Config files: mmengine ``Config`` (Python files) plus ``--cfg-options key.sub=value`` overrides.

``load_config("meva/cpu")`` reads ``<repo>/configs/meva/cpu.py``; a path to an existing file is
read as is. Returns plain dicts, so models and the loop never see mmengine types.
"""
from __future__ import annotations

import ast
from pathlib import Path

from posebench.errors import PosebenchError

CONFIG_ROOT = Path(__file__).resolve().parent.parent / "configs"


def resolve_config_path(path_or_name: str | Path) -> Path:
    """A file path as given, or ``<repo>/configs/<name>.py`` for a name like ``"meva/cpu"``."""
    p = Path(path_or_name).expanduser()
    if p.is_file():
        return p
    candidate = CONFIG_ROOT / (str(path_or_name) if str(path_or_name).endswith(".py") else f"{path_or_name}.py")
    if candidate.is_file():
        return candidate
    known = sorted(str(f.relative_to(CONFIG_ROOT).with_suffix("")) for f in CONFIG_ROOT.glob("*/*.py")) if CONFIG_ROOT.is_dir() else []
    raise PosebenchError(f"config {str(path_or_name)!r} not found (looked for {p} and {candidate}); "
                         f"known configs: {', '.join(known) or '(none)'}")


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
            raise PosebenchError(f"--cfg-options expects key=value, got {opt!r}")
        key, value = opt.split("=", 1)
        if not key.strip():
            raise PosebenchError(f"--cfg-options has an empty key in {opt!r}")
        parsed[key.strip()] = _parse_value(value)
    return parsed


def load_config(path_or_name: str | Path, cfg_options: list[str] | dict | None = None) -> dict:
    """Read a config file (mmengine ``Config``, ``_base_`` inheritance included), apply the
    dotted-key overrides, and return a plain dict."""
    from mmengine.config import Config

    path = resolve_config_path(path_or_name)
    try:
        cfg = Config.fromfile(str(path))
    except Exception as exc:
        raise PosebenchError(f"{path}: cannot read config ({type(exc).__name__}: {exc})") from exc
    options = parse_cfg_options(cfg_options)
    if options:
        cfg.merge_from_dict(options)
    return _plain(cfg.to_dict())


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
        raise PosebenchError(f"{section}: unknown keys {unknown}; known: {known}")
    return given


def config_target(model: str, config: str | None) -> str:
    """The config file a model trains with: a path, or NAME under configs/FAMILY/.

    Without ``config``, the model's registered default (``meva`` -> ``meva/cpu``, ``meva-test`` ->
    ``meva/test``); FAMILY is that default's folder, else the model's name.
    """
    from posebench.registry import get_plugin_system

    entry = get_plugin_system().models.get(model)
    default = entry.metadata.get("config") or f"{model}/cpu"
    name = config or default
    family = default.split("/")[0] if "/" in default else model
    return name if Path(name).suffix == ".py" or "/" in name else f"{family}/{name}"


def config_tag(model: str, config: str | None) -> str:
    """The short config name that labels checkpoint folders (``cpu``, ``quick``, ``test``, a file's stem)."""
    return Path(config_target(model, config)).stem
