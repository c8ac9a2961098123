"""Type-hint analysis shared by `config.load` and `schema.generate_schema`."""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union

_MISSING = dataclasses.MISSING


@dataclass(frozen=True)
class FieldSpec:
    """One config field of a dataclass, as both the loader and the schema see it."""

    name: str
    type: Any
    required: bool
    default: Any  # the default value (dataclasses.MISSING when required)
    description: str
    extra_schema: dict[str, Any]


_FIELDS: dict[type, tuple[FieldSpec, ...]] = {}
"""Each config class's fields, by class (classes are defined once, at import time)."""


def fields(cls: type) -> tuple[FieldSpec, ...]:
    """The fields of a config dataclass with resolved type hints (computed once per class).

    Resolving the hints is most of the work of loading a config (it compiles each string annotation),
    so it is cached: the build fills the cache for the plugin's config classes while it pre-initialises
    the component (reglet_sdk.preinit), and every check in a fresh instance finds it in the snapshot.
    """
    cached = _FIELDS.get(cls)
    if cached is not None:
        return cached
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"expected a dataclass type, got {cls!r}")
    hints = typing.get_type_hints(cls)
    specs = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not _MISSING:
            default = f.default
        elif f.default_factory is not _MISSING:
            default = f.default_factory()
        else:
            default = _MISSING
        specs.append(
            FieldSpec(
                name=f.name,
                type=hints[f.name],
                required=default is _MISSING,
                default=default,
                description=str(f.metadata.get("description", "")),
                extra_schema=dict(f.metadata.get("schema", {})),
            )
        )
    _FIELDS[cls] = tuple(specs)
    return _FIELDS[cls]


def optional_inner(tp: Any) -> Any | None:
    """X for Optional[X] / X | None (the union without None); None when `tp` admits no None."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = typing.get_args(tp)
        if type(None) in args:
            rest = [a for a in args if a is not type(None)]
            return rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007 - built at run time
    return None


def literal_values(tp: Any) -> tuple[Any, ...] | None:
    """The allowed values of a Literal type, else None."""
    return typing.get_args(tp) if typing.get_origin(tp) is Literal else None


def list_item(tp: Any) -> Any | None:
    """X for list[X] (and Sequence[X] or tuple[X, ...]), else None."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (list, collections.abc.Sequence) or (origin is tuple and len(args) == 2 and args[1] is Ellipsis):
        return args[0] if args else Any
    return None


def dict_value(tp: Any) -> Any | None:
    """X for dict[str, X] (and Mapping[str, X]), else None."""
    if typing.get_origin(tp) in (dict, collections.abc.Mapping):
        args = typing.get_args(tp)
        return args[1] if args else Any
    return None


def is_dataclass_type(tp: Any) -> bool:
    """True for a dataclass class."""
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def type_name(tp: Any) -> str:
    """A readable name for a type hint."""
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")
