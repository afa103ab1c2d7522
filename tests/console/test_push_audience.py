"""The websocket filter (`sees_event`) works an event's audience out once for all the sockets it
is offered to, and decides exactly as the scope's rule over that event's own keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console_web.routes import sees_event
from core.access import Scope
from core.call_events import CallQueued, SeatDeviceStatus, SeatDeviceStatusChanged
from core.events import DomainEvent, call_id_of
from core.ids import CallId, SeatId

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def scope(*keys: str, citywide: bool = False) -> Scope:
    return Scope(citywide, "测试", None, frozenset(), frozenset(), frozenset(keys))


SCOPES = [
    scope(citywide=True),
    scope("district:310106"),
    scope("district:310104"),
    scope("seat:1001"),
    scope("seat:1002"),
]


def test_given_one_event_offered_to_many_sockets_when_filtered_then_its_audience_is_built_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[DomainEvent] = []
    original = DomainEvent.audience

    def counting(self: DomainEvent) -> frozenset[str]:
        built.append(self)
        return original(self)

    monkeypatch.setattr(DomainEvent, "audience", counting)
    queued = CallQueued(at=AT, call_id=CallId("c1"), queue="q-310106-labor", position=1)
    seen = [sees_event(s, queued) for s in SCOPES * 100]
    assert built == [queued]
    assert seen[:5] == [True, True, False, False, False]

    device = SeatDeviceStatusChanged(
        at=AT,
        seat_id=SeatId("1002"),
        interface="PJSIP/1002",
        queue="q-310104-family",
        status=SeatDeviceStatus.NOT_IN_USE,
        in_call=False,
    )
    assert [sees_event(s, device) for s in SCOPES] == [True, False, True, False, True]
    assert built == [queued, device]  # a new event is worked out anew
    assert sees_event(SCOPES[1], queued) is True and built[-1] is queued  # and the first again


def test_given_events_of_every_kind_when_filtered_then_the_same_as_the_scopes_rule_on_their_keys() -> None:
    events: list[DomainEvent] = [
        CallQueued(at=AT, call_id=CallId("c1"), queue="q-310106-labor", position=1),
        CallQueued(at=AT, call_id=CallId("c2"), queue="q-city-other", position=2),
        SeatDeviceStatusChanged(
            at=AT,
            seat_id=SeatId("1001"),
            interface="PJSIP/1001",
            queue="q-city-other",
            status=SeatDeviceStatus.IN_USE,
            in_call=True,
        ),
    ]
    for event in events:
        for s in SCOPES:
            expected = s.sees(event.audience(), about_a_call=call_id_of(event) is not None)
            assert sees_event(s, event) is expected, (event, s)
