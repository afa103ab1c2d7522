"""Response models shared by several pages' JSON: a labelled choice and a team named for a menu."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pydantic import BaseModel


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
