"""Views made by a function instead of a call of their class.

A step-2 answer is built from some sixty views (a contact, what the drop-down says of it, a
line, its product...), Strawberry types: dataclasses whose `__init__` takes keywords only.
CPython calls a class with keywords the slow way (the keywords gathered in a dict, the
arguments in a tuple, then unpacked again for `__init__`): about 1 µs a view, measured here.
A function called with the same keywords skips all that.

`maker(cls)` is such a function: `maker(ContactType)(id=..., ...)` makes the instance that
`ContactType(id=..., ...)` makes, the same attributes with the same defaults, without calling
the class. Only for a dataclass whose `__init__` just stores its arguments (no
`__post_init__`, no default factory, not frozen); for any other class it is the class itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import MISSING
from typing import Any, TypeVar

T = TypeVar("T")


def maker(cls: type[T]) -> Callable[..., T]:
    """A function of the same keywords as `cls`, making what `cls(**keywords)` makes."""
    if not _stores_its_arguments(cls):
        return cls
    fields = [f for f in dataclasses.fields(cls) if f.init]
    names: dict[str, Any] = {"new": object.__new__, "cls": cls}
    parameters = []
    for field in fields:
        if field.default is MISSING:
            parameters.append(field.name)
        else:
            names[f"default_{field.name}"] = field.default
            parameters.append(f"{field.name}=default_{field.name}")
    lines = [f"def make_{cls.__name__}(*, {', '.join(parameters)}):", "    self = new(cls)"]
    lines += [f"    self.{field.name} = {field.name}" for field in fields]
    lines.append("    return self")
    exec(compile("\n".join(lines), f"<maker of {cls.__name__}>", "exec"), names)
    return names[f"make_{cls.__name__}"]


def _stores_its_arguments(cls: type) -> bool:
    """Whether `cls.__init__` is a dataclass's that only stores its (keyword) arguments."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return False
    params = cls.__dataclass_params__
    if params.frozen or not params.init or cls.__init__.__qualname__ != f"{cls.__qualname__}.__init__":
        return False
    if cls.__new__ is not object.__new__ or type(cls).__call__ is not type.__call__:
        return False
    for field in dataclasses.fields(cls):
        if field.default_factory is not MISSING or (not field.init and field.default is not MISSING):
            return False
        if field.init and not field.kw_only:
            return False
    return True
