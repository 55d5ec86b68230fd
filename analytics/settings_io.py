"""Settings dataclasses to and from JSON, checked: how a methodology is stored, edited and compared.

Every method of `analytics` takes a frozen dataclass of settings whose fields carry
``metadata={"label": <Russian label>, "source": <where the default comes from>}``. This module turns such a
dataclass into plain JSON values and back, refusing unknown names and values of the wrong type with a
message that names the parameter, and lists the parameters with their labels for the methodology page.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "Parameter",
    "SettingsError",
    "flat_values",
    "parameters_of",
    "settings_from_dict",
    "settings_to_dict",
]

T = TypeVar("T")


class SettingsError(ValueError):
    """Settings that cannot be read: every problem, each naming its parameter (dotted path)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Parameter:
    """One parameter as the methodology page shows it."""

    name: str
    label: str
    source: str
    default: Any
    kind: str  # "bool", "int", "float", "choice", "list", "pairs", "text"
    choices: tuple[Any, ...] = ()
    choice_labels: tuple[str, ...] = ()  # how a page names each choice, in the order of `choices`


def settings_to_dict(settings: Any) -> dict[str, Any]:
    """Plain JSON values: tuples become lists, nested settings dicts."""
    return typing.cast(dict[str, Any], _to_json(settings))


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _to_json(item) for key, item in value.items()}
    return value


def settings_from_dict(cls: type[T], data: Mapping[str, Any], *, path: str = "") -> T:
    """Build `cls` from JSON values; a missing parameter takes its default. Raises SettingsError."""
    problems: list[str] = []
    result = _read_dataclass(cls, data, path, problems)
    if problems:
        raise SettingsError(problems)
    return typing.cast(T, result)


def _read_dataclass(cls: type, data: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(data, Mapping):
        problems.append(f"{path or cls.__name__}: expected an object, got {type(data).__name__}")
        return None
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if f.init}
    found_before = len(problems)
    for name in data:
        if name not in known:
            problems.append(f"{_join(path, name)}: unknown parameter")
    values: dict[str, Any] = {}
    for name in known:
        if name in data:
            before = len(problems)
            value = _read(hints[name], data[name], _join(path, name), problems)
            if len(problems) == before:
                values[name] = value
    if len(problems) > found_before:
        return None
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:  # the dataclass's own checks (__post_init__)
        problems.append(f"{path or cls.__name__}: {error}")
        return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _read(hint: Any, value: Any, path: str, problems: list[str]) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _read_dataclass(typing.cast(type, hint), value, path, problems)
    if origin is typing.Literal:
        if value not in args:
            problems.append(f"{path}: {value!r} is not one of {', '.join(map(repr, args))}")
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _read(inner[0], value, path, problems) if len(inner) == 1 else value
    if hint is bool:
        if not isinstance(value, bool):
            problems.append(f"{path}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            problems.append(f"{path}: expected a whole number, got {value!r}")
            return value
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{path}: expected a number, got {value!r}")
            return value
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            problems.append(f"{path}: expected text, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            problems.append(f"{path}: expected a list, got {value!r}")
            return value
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_read(args[0], item, f"{path}[{i}]", problems) for i, item in enumerate(value))
        if len(args) != len(value):
            problems.append(f"{path}: expected {len(args)} values, got {len(value)}")
            return value
        return tuple(
            _read(a, item, f"{path}[{i}]", problems)
            for i, (a, item) in enumerate(zip(args, value, strict=True))
        )
    if origin in (dict, Mapping, typing.Mapping):
        if not isinstance(value, Mapping):
            problems.append(f"{path}: expected an object, got {value!r}")
            return value
        return {str(k): _read(args[1], v, f"{path}.{k}", problems) for k, v in value.items()}
    return value


def parameters_of(cls: type, *, prefix: str = "") -> list[Parameter]:
    """The parameters of a settings dataclass (nested ones flattened with dotted names), in field order."""
    hints = typing.get_type_hints(cls)
    default = cls()
    found: list[Parameter] = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        name = _join(prefix, f.name)
        if dataclasses.is_dataclass(hint):
            found.extend(parameters_of(typing.cast(type, hint), prefix=name))
            continue
        found.append(
            Parameter(
                name=name,
                label=str(f.metadata.get("label", f.name)),
                source=str(f.metadata.get("source", "")),
                default=_to_json(getattr(default, f.name)),
                kind=_kind(hint),
                choices=typing.get_args(hint) if typing.get_origin(hint) is typing.Literal else (),
            )
        )
    return found


def _kind(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return "choice"
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _kind(inner[0]) if len(inner) == 1 else "text"
    if hint is bool:
        return "bool"
    if hint is int:
        return "int"
    if hint is float:
        return "float"
    if origin is tuple:
        args = typing.get_args(hint)
        item = args[0] if args else str
        return "pairs" if typing.get_origin(item) is tuple else "list"
    if origin in (dict, Mapping, typing.Mapping):
        return "pairs"
    return "text"


def flat_values(settings: Any, *, prefix: str = "") -> dict[str, Any]:
    """Parameter name (dotted, as `parameters_of` names it) → its JSON value."""
    found: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        name = _join(prefix, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            found.update(flat_values(value, prefix=name))
        else:
            found[name] = _to_json(value)
    return found
