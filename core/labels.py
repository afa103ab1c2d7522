"""`LabelledEnum`: a state enum whose members each carry their one Chinese label.

Each member is written with its label beside its value (`TALKING = "talking", "通话中"`), so a
state and its text cannot drift apart and no module keeps a second table of them
(`tests/core/test_state_labels.py`). The value alone is what is stored, sent and looked up:
`SeatStatus("talking")`, JSON, the database columns and the wire all see the plain string;
`of_text` takes the label too, for what people type or import.
"""

from __future__ import annotations

import enum
from typing import Self


class LabelledEnum(enum.StrEnum):
    """A `StrEnum` whose members are declared `NAME = "value", "中文"`; `.label` is the text."""

    _value_: str
    _label: str

    # `label` defaults only so that a lookup by value (`SeatStatus("talking")`) type-checks: Enum
    # calls this for the declared members alone, each of which must name its label.
    def __new__(cls, value: str, label: str = "") -> Self:
        if not label:
            raise TypeError(f"{cls.__name__}: the member {value!r} has no label")
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        """The one Chinese text for this member, on every page, report and export."""
        return self._label

    @classmethod
    def of_text(cls, text: str) -> Self | None:
        """The member whose value or label is `text` (spaces around it aside), as people type or
        import it (`rest` or 休息); None when no member is."""
        text = text.strip()
        return next((m for m in cls if text in (m.value, m.label)), None)
