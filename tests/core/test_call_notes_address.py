"""The consoles' call notes keep the IVR's address verdict (issue 20): the outcome and the seat's
note come with `IvrRouted`; a later pass through the IVR that asked no address keeps them, one that
asked again replaces them; and they survive the event's wire form (a call read back from its trail)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from core.call_view import CallNotes, project_notes
from core.events import from_wire, to_wire
from tests.support.events import routed_to_jingan_labor

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _routed(**address: str):
    return replace(routed_to_jingan_labor("1795300000.16", "13812345678", AT, why="→ q"), **address)


def test_given_an_ambiguous_address_when_projected_then_notes_carry_outcome_and_note() -> None:
    notes = project_notes(
        CallNotes(),
        _routed(spoken_address="浦东新区果园村", address_outcome="ambiguous", address_note="可能是：A 或 B"),
    )
    assert (notes.address, notes.address_outcome, notes.address_note) == (
        "浦东新区果园村",
        "ambiguous",
        "可能是：A 或 B",
    )


def test_given_a_later_pass_without_address_when_projected_then_the_verdict_stays() -> None:
    first = project_notes(
        CallNotes(),
        _routed(
            spoken_address="杭州市西湖区", address_outcome="outside", address_note="来电者说的不是上海地址"
        ),
    )
    again = project_notes(first, _routed())
    assert (again.address_outcome, again.address_note) == ("outside", "来电者说的不是上海地址")
    asked = project_notes(
        again,
        _routed(spoken_address="静安区临汾路街道", address_outcome="found", address_note="识别为：静安区"),
    )
    assert (asked.address, asked.address_outcome) == ("静安区临汾路街道", "found")


def test_given_the_verdict_when_through_the_wire_then_kept_and_old_events_read_empty() -> None:
    event = _routed(
        spoken_address="浦东新区果园村", address_outcome="ambiguous", address_note="可能是：A 或 B"
    )
    assert from_wire(to_wire(event)) == event
    old = to_wire(event)
    del old["data"]["address_outcome"], old["data"]["address_note"]  # written before issue 20
    back = from_wire(old)
    assert (back.address_outcome, back.address_note) == ("", "")  # type: ignore[attr-defined]
