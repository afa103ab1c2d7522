"""One value made from another by its same-named fields.

A snapshot of a mutable state (the tracker's live call), a narrower view of a stored value (the
principal of an account) or a wider one (an office candidate with its district's name) has the
same fields as its source under the same names: `copy_fields` reads them instead of a
constructor call that names every field twice.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

V = TypeVar("V", bound="DataclassInstance")


def copy_fields(cls: type[V], source: object, /, **given: Any) -> V:
    """A `cls` (a dataclass) whose fields are those in `given`, every other one read from the
    attribute of the same name on `source`. A field `source` lacks raises `AttributeError`; a name
    in `given` that `cls` lacks raises `TypeError`, as in the constructor."""
    copied = {f.name: getattr(source, f.name) for f in fields(cls) if f.init and f.name not in given}
    return cls(**copied, **given)
