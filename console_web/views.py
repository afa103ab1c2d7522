"""Response models shared by several pages' JSON: a labelled choice and a team named for a menu;
and `from_fields`, which builds a response model from the domain dataclass it shows (`FromFields`:
a model that is only that); `IsoTime`, a time field written as `datetime.isoformat` writes it."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Protocol, Self, TypeVar, cast

from pydantic import BaseModel, PlainSerializer

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

M = TypeVar("M", bound=BaseModel)

IsoTime = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(), return_type=str)]
"""A time that goes out as ISO 8601 with its offset as `isoformat` writes it (+08:00, +00:00)."""


def from_fields(model: type[M], source: DataclassInstance, /, **computed: object) -> M:
    """`model` from each field of `source` (a dataclass) that the model has under the same name,
    and the `computed` ones besides, which win over a copied field of the same name. A copied enum
    goes out as its value, with its `.label` as `<name>_label` where the model has that field; a
    copied time as ISO 8601 text. The model's own fields say what goes out: nothing of `source`
    that the model does not declare does."""
    copied: dict[str, object] = {}
    for f in dataclasses.fields(source):
        if f.name not in model.model_fields:
            continue
        value = getattr(source, f.name)
        if isinstance(value, enum.Enum):
            if f"{f.name}_label" in model.model_fields:
                copied[f"{f.name}_label"] = cast(Labelled, value).label
            value = value.value
        elif isinstance(value, date):
            value = value.isoformat()
        copied[f.name] = value
    return model.model_validate(copied | computed)


class FromFields(BaseModel):
    """A response model that shows one domain dataclass field for field: `Model.of(value)`."""

    @classmethod
    def of(cls, source: DataclassInstance) -> Self:
        return from_fields(cls, source)


class Labelled(Protocol):
    @property
    def value(self) -> str: ...

    @property
    def label(self) -> str: ...


class Choice(BaseModel):
    """One option of a menu: the value sent back and its Chinese label (the enum's `.label`)."""

    value: str
    label: str

    @classmethod
    def of(cls, item: Labelled) -> Choice:
        return cls(value=item.value, label=item.label)

    @classmethod
    def all(cls, items: Iterable[Labelled]) -> list[Choice]:
        return [cls.of(i) for i in items]


class TeamOption(BaseModel):
    id: str
    name: str
