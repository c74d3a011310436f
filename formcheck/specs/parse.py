"""Typed conversion of parsed TOML tables into the frozen schema dataclasses.

The conversion is driven by the dataclasses' own type hints and defaults, so each
default lives once, in ``formcheck.specs.schema``. Supported field types: ``str``,
``int``, ``float``, ``bool``, ``Literal[...]``, ``tuple[T, ...]``, fixed-length
``tuple[T, T]``, ``dict[str, T]``, nested dataclasses, ``X | None`` and unions.
A union of dataclasses is chosen by the table's ``type`` key.

Problems raise :class:`Invalid` carrying the field path (``signals.knee.points``);
the loader adds the file name. A document is checked whole: every unknown key,
missing field and wrong value is found, and an :class:`Invalid` with several
``problems`` lists them all.
"""

from __future__ import annotations

import dataclasses
import math
import types
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


class Invalid(Exception):
    """A value at ``path`` does not fit the schema.

    Attributes:
        path: dotted field path inside the document, e.g. ``faults[2].when[0].op``.
        problem: what is wrong, in words.
        problems: every problem found (this one alone, or those :func:`collect` gathered).
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or '<top level>'}: {problem}")
        self.path = path
        self.problem = problem
        self.problems: tuple[Invalid, ...] = (self,)

    @classmethod
    def of(cls, problems: Iterable[Invalid]) -> Invalid:
        """One :class:`Invalid` standing for several (the first one's text leads)."""
        found = tuple(p for problem in problems for p in problem.problems)
        first = found[0]
        error = cls(first.path, first.problem)
        error.problems = found
        return error


R = TypeVar("R")


def collect(checks: Iterable[Callable[[], R]]) -> list[R]:
    """Run every check and return their results, or raise one :class:`Invalid`
    listing the problems of all of them (not only the first)."""
    results: list[R] = []
    problems: list[Invalid] = []
    for check in checks:
        try:
            results.append(check())
        except Invalid as problem:
            problems.append(problem)
    if problems:
        raise Invalid.of(problems)
    return results


def join(path: str, key: str | int) -> str:
    """Extend a field path by a key (``a.b``) or a list index (``a[0]``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _type_name(value: Any) -> str:
    names = {str: "a string", bool: "true/false", int: "an integer", float: "a number"}
    names |= {list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _describe(tp: Any) -> str:
    origin = get_origin(tp)
    if tp is str:
        return "a string"
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_describe(args[0])}"
        return f"a list of {len(args)} items"
    if origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in get_args(tp) if a is not type(None))
    return str(tp)


def convert(value: Any, tp: Any, path: str) -> Any:
    """Convert ``value`` (from TOML) to type ``tp``, raising :class:`Invalid` at ``path``."""
    origin = get_origin(tp)
    if tp is str:
        if not isinstance(value, str):
            raise Invalid(path, f"expected a string, got {_type_name(value)}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise Invalid(path, f"expected true or false, got {_type_name(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(path, f"expected an integer, got {_type_name(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(path, f"expected a number, got {_type_name(value)}")
        if not math.isfinite(value):
            raise Invalid(path, f"expected a finite number, got {value}")
        return float(value)
    if origin is Literal:
        allowed = get_args(tp)
        if not isinstance(value, str) or value not in allowed:
            raise Invalid(path, f"expected {_describe(tp)}, got {value!r}")
        return value
    if origin is tuple:
        return _convert_tuple(value, tp, path)
    if origin is dict:
        if not isinstance(value, dict):
            raise Invalid(path, f"expected a table, got {_type_name(value)}")
        _, value_tp = get_args(tp)
        keys = list(value)
        items = collect(partial(convert, value[k], value_tp, join(path, k)) for k in keys)
        return dict(zip(keys, items, strict=True))
    if origin in (Union, types.UnionType):
        return _convert_union(value, tp, path)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_table(value, tp, path)
    raise TypeError(f"schema type {tp!r} is not supported")  # a bug in the schema


def _convert_tuple(value: Any, tp: Any, path: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise Invalid(path, f"expected {_describe(tp)}, got {_type_name(value)}")
    args = get_args(tp)
    if len(args) == 2 and args[1] is Ellipsis:
        args = (args[0],) * len(value)
    elif len(value) != len(args):
        raise Invalid(path, f"expected a list of {len(args)} items, got {len(value)}")
    pairs = enumerate(zip(value, args, strict=True))
    return tuple(collect(partial(convert, item, arg, join(path, i)) for i, (item, arg) in pairs))


def _convert_union(value: Any, tp: Any, path: str) -> Any:
    members = [a for a in get_args(tp) if a is not type(None)]
    if len(members) == 1:
        return convert(value, members[0], path)
    if all(dataclasses.is_dataclass(m) for m in members):
        if not isinstance(value, dict):
            raise Invalid(path, f"expected a table, got {_type_name(value)}")
        by_type = {kind: m for m in members for kind in get_args(get_type_hints(m)["type"])}
        kind = value.get("type")
        if kind is None:
            raise Invalid(join(path, "type"), "missing field")
        if not isinstance(kind, str) or kind not in by_type:
            choices = ", ".join(repr(k) for k in by_type)
            raise Invalid(join(path, "type"), f"expected one of {choices}, got {kind!r}")
        return from_table(value, by_type[kind], path)
    for member in members:
        try:
            return convert(value, member, path)
        except Invalid:
            continue
    raise Invalid(path, f"expected {_describe(tp)}, got {_type_name(value)}")


def from_table(table: Any, cls: type[T], path: str = "") -> T:
    """Build dataclass ``cls`` from a TOML table: unknown keys and missing fields are errors."""
    if not isinstance(table, dict):
        raise Invalid(path, f"expected a table, got {_type_name(table)}")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    problems = [Invalid(join(path, key), "unknown key") for key in sorted(set(table) - set(fields))]
    values: dict[str, Any] = {}
    for name, field in fields.items():
        try:
            if name in table:
                values[name] = convert(table[name], hints[name], join(path, name))
            elif (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                raise Invalid(join(path, name), "missing field")
        except Invalid as problem:
            problems.append(problem)
    if problems:
        raise Invalid.of(problems)
    return cls(**values)


def to_table(obj: Any) -> Any:
    """The inverse of :func:`from_table`: a dataclass as plain TOML-like data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        items = ((f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj))
        return {name: to_table(value) for name, value in items if value is not None}
    if isinstance(obj, tuple):
        return [to_table(item) for item in obj]
    if isinstance(obj, dict):
        return {key: to_table(item) for key, item in obj.items()}
    return obj


__all__ = ["Invalid", "collect", "convert", "from_table", "join", "to_table"]
