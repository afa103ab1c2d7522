"""`core.values.copy_fields`: a dataclass made from another value's same-named fields."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.values import copy_fields


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    name: str
    count: int
    note: str = ""


@dataclass(slots=True)
class State:
    name: str
    count: int
    note: str
    private: list[str]


def test_given_a_wider_state_when_copied_then_the_snapshot_has_its_same_named_fields() -> None:
    state = State(name="q-general", count=3, note="busy", private=["x"])

    assert copy_fields(Snapshot, state) == Snapshot(name="q-general", count=3, note="busy")


def test_given_fields_when_copied_then_they_win_over_the_source() -> None:
    state = State(name="q-general", count=3, note="busy", private=[])

    assert copy_fields(Snapshot, state, count=4) == Snapshot(name="q-general", count=4, note="busy")


def test_given_a_source_without_a_field_when_copied_then_it_says_so() -> None:
    with pytest.raises(AttributeError):
        copy_fields(State, Snapshot(name="a", count=1))


def test_given_a_name_the_class_lacks_when_copied_then_the_constructor_refuses_it() -> None:
    with pytest.raises(TypeError):
        copy_fields(Snapshot, Snapshot(name="a", count=1), colour="red")


@dataclass(frozen=True, slots=True, kw_only=True)
class Sourced:
    cls: str
    source: str


def test_given_fields_named_cls_and_source_when_given_then_they_are_fields_not_the_arguments() -> None:
    assert copy_fields(Sourced, object(), cls="a", source="b") == Sourced(cls="a", source="b")
