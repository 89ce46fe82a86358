"""Configs as dataclasses: loaded from YAML, overridden from the command line, checked.

Every config in textenvs is a dataclass whose fields carry their help text
(``field(metadata={"help": ...})``), as in PEFT and TRL. This module fills one from a YAML
mapping and ``key=value`` overrides (dotted keys reach nested configs:
``train.eval_every=5``), converting each value to its field's type and naming the key, the
value and the file in every error.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from textenvs.errors import InputError

Config = TypeVar("Config")


class ConfigError(InputError):
    """A config value that is unknown, of the wrong type or out of range."""


def load_config(
    cls: type[Config], path: str | Path | None = None, overrides: list[str] | None = None
) -> Config:
    """Build ``cls`` from a YAML file (optional) and ``key=value`` overrides.

    Raises:
        ConfigError: an unreadable file, an unknown key, a value that does not convert, or a
            value the config itself rejects.
    """
    values: dict[str, Any] = {}
    where = "defaults"
    if path is not None:
        where = str(path)
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigError(f"{path}: cannot read the config ({error})") from None
        except yaml.YAMLError as error:  # one line: where, and what the parser expected
            mark = getattr(error, "problem_mark", None)
            at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise ConfigError(f"{path}{at}: not a readable config ({problem})") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: a config is a mapping of keys to values")
        values = loaded or {}
    for override in overrides or []:
        key, sep, text = override.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {override!r}: expected key=value")
        target = values
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                raise ConfigError(f"override {override!r}: {parent} is not a section")
        try:
            target[leaf] = yaml.safe_load(text) if text else ""
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or type(error).__name__
            raise ConfigError(f"override {override!r}: not a value ({problem})") from None
    return from_dict(cls, values, where)


def from_dict(cls: type[Config], values: dict[str, Any], where: str = "config") -> Config:
    """Build dataclass ``cls`` from a mapping, converting values to the fields' types."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    converted = {
        name: convert(value, hints[name], f"{where}: {name}") for name, value in values.items()
    }
    try:
        return cls(**converted)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{where}: {error}") from None


def convert(value: Any, kind: Any, where: str) -> Any:
    """``value`` as type ``kind`` (a field annotation), or a ConfigError naming ``where``."""
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        empty = value is None or (isinstance(value, str) and value.lower() in ("none", "null"))
        if empty and type(None) in arguments:
            return None
        errors = []
        for argument in arguments:
            if argument is type(None):
                continue
            try:
                return convert(value, argument, where)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0] if errors else f"{where}: cannot be {value!r}")
    if dataclasses.is_dataclass(kind):
        if isinstance(value, kind):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a section (mapping), got {value!r}")
        return from_dict(kind, value, where)
    if origin is dict or kind is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if origin in (list, tuple) or kind in (list, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return list(value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, str, float)):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{where}: expected an integer, got {value!r}") from None
        if not number.is_integer():
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return int(number)
    if kind is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        try:
            return float(value)  # YAML reads 1e-3 as a string; float() does not mind
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if kind is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return str(value)
    return value


def describe(cls: type[Any], prefix: str = "") -> list[tuple[str, str, str]]:
    """``(key, default, help)`` of every field, nested sections as dotted keys."""
    rows = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            rows += describe(kind, f"{prefix}{f.name}.")  # type: ignore[arg-type]
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = "required"
        rows.append((prefix + f.name, default, f.metadata.get("help", "")))
    return rows
