from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.ids import SeatId, TeamId
from seats.state import ALLOWED, InvalidSeatTransition, PauseReason, SeatState, SeatStatus, transition

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
S = SeatStatus


def _seat(status: SeatStatus = S.OFFLINE) -> SeatState:
    return SeatState(seat_id=SeatId("1001"), team_id=TeamId("team-310106"), status=status)


def test_given_a_whole_call_when_walking_the_states_then_each_step_yields_its_fact() -> None:
    seat = _seat()
    steps = [
        (S.AVAILABLE, None, None),
        (S.RINGING, None, "c1"),
        (S.TALKING, None, None),
        (S.WRAP_UP, None, None),
        (S.PAUSED, PauseReason.MEAL, None),
        (S.AVAILABLE, None, None),
        (S.OFFLINE, None, None),
    ]
    facts = []
    for i, (to, reason, call) in enumerate(steps):
        seat, fact = transition(seat, to, T0 + timedelta(seconds=i), reason=reason, call_id=call)
        facts.append((fact.previous, fact.status))
    assert facts == [
        (S.OFFLINE, S.AVAILABLE),
        (S.AVAILABLE, S.RINGING),
        (S.RINGING, S.TALKING),
        (S.TALKING, S.WRAP_UP),
        (S.WRAP_UP, S.PAUSED),
        (S.PAUSED, S.AVAILABLE),
        (S.AVAILABLE, S.OFFLINE),
    ]
    assert seat.since == T0 + timedelta(seconds=6)


def test_given_talking_when_asked_to_pause_or_log_out_then_refused_with_a_chinese_message() -> None:
    talking = _seat(S.TALKING)
    for to in (S.PAUSED, S.OFFLINE, S.RINGING):
        with pytest.raises(InvalidSeatTransition) as err:
            transition(talking, to, T0)
        assert "通话中" in err.value.message


def test_given_a_call_when_talking_and_wrapping_up_then_the_call_id_is_kept_and_dropped_after() -> None:
    seat, _ = transition(_seat(S.AVAILABLE), S.RINGING, T0, call_id="c9")
    seat, _ = transition(seat, S.TALKING, T0)
    assert seat.call_id == "c9"
    seat, _ = transition(seat, S.WRAP_UP, T0)
    assert seat.call_id == "c9"
    seat, ev = transition(seat, S.AVAILABLE, T0)
    assert seat.call_id is None and ev.call_id is None


def test_given_pause_without_reason_when_transitioning_then_reason_other_and_cleared_on_resume() -> None:
    seat, ev = transition(_seat(S.AVAILABLE), S.PAUSED, T0)
    assert seat.pause_reason is PauseReason.OTHER and ev.pause_reason is PauseReason.OTHER
    seat, _ = transition(seat, S.AVAILABLE, T0)
    assert seat.pause_reason is None


def test_given_every_pair_of_states_when_transitioning_then_exactly_the_allowed_ones_succeed() -> None:
    for src in S:
        for dst in S:
            ok = dst in ALLOWED[src]
            try:
                transition(_seat(src), dst, T0, reason=PauseReason.REST)
            except InvalidSeatTransition:
                assert not ok, (src, dst)
            else:
                assert ok, (src, dst)


def test_given_seat_events_when_asking_audience_then_seat_and_team_keys() -> None:
    _, ev = transition(_seat(), S.AVAILABLE, T0)
    assert ev.audience() == frozenset({"seat:1001", "team:team-310106"})
