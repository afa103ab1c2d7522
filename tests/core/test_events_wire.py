from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.events import DomainEvent, StateResynced, UnknownEventType, from_wire, to_wire
from core.ids import CallId, SeatId, new_id


class Leg(enum.StrEnum):
    CALLER = "caller"
    SEAT = "seat"


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleHappened(DomainEvent):
    call_id: CallId
    seat_id: SeatId | None = None
    leg: Leg = Leg.CALLER
    path: tuple[str, ...] = ()
    wait_seconds: float | None = None
    district_code: str | None = None


def test_given_an_event_when_sent_over_json_then_the_same_event_comes_back() -> None:
    ev = SampleHappened(
        at=datetime(2026, 11, 23, 2, 0, 1, 500000, tzinfo=UTC),
        call_id=CallId("1795299105.2"),
        seat_id=SeatId("1001"),
        leg=Leg.SEAT,
        path=("1", "2"),
        wait_seconds=6.25,
    )
    back = from_wire(json.loads(json.dumps(to_wire(ev))))
    assert back == ev
    assert isinstance(back, SampleHappened) and back.leg is Leg.SEAT and back.at.tzinfo is not None


@given(
    text=st.text(max_size=40),
    wait=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    path=st.lists(st.text(max_size=5), max_size=5),
)
def test_given_any_field_values_when_round_tripped_then_equal(
    text: str, wait: float | None, path: list[str]
) -> None:
    ev = SampleHappened(
        at=datetime(2026, 1, 1, tzinfo=UTC), call_id=CallId(text), wait_seconds=wait, path=tuple(path)
    )
    assert from_wire(json.loads(json.dumps(to_wire(ev)))) == ev


def test_given_unknown_type_when_decoding_then_a_clear_error() -> None:
    with pytest.raises(UnknownEventType):
        from_wire({"type": "NoSuchEvent", "data": {}})


def test_given_seat_and_district_fields_when_asking_audience_then_keys_name_them() -> None:
    ev = SampleHappened(
        at=datetime(2026, 1, 1, tzinfo=UTC),
        call_id=CallId("c"),
        seat_id=SeatId("1001"),
        district_code="310106",
    )
    assert ev.audience() == frozenset({"seat:1001", "district:310106"})
    assert StateResynced(at=datetime(2026, 1, 1, tzinfo=UTC), source="ami").audience() == frozenset()


def test_given_many_new_ids_when_sorted_then_unique_and_in_creation_order() -> None:
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == 2000
    assert all(len(i) == 26 for i in ids)
    assert ids[0][:10] <= ids[-1][:10]  # the time part never goes backwards


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedSample(DomainEvent):
    call_id: str
    queue: str


def test_given_a_district_queue_when_asking_audience_then_the_district_key_is_added() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert QueuedSample(at=at, call_id="c", queue="q-310106-labor").audience() == frozenset(
        {"district:310106"}
    )
    assert QueuedSample(at=at, call_id="c", queue="q-city-labor").audience() == frozenset()
