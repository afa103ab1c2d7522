"""回访: a 不满意 survey answer opens one follow-up order per call, never the rated seat's, due a
working day later; its outcome is recorded when it is closed, an unreached caller retried."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from callback_fakes import Rig, make_rig, of_type, seat

from callbacks.errors import RatedSeatExcluded
from callbacks.events import (
    AttemptOutcome,
    CallbackAttemptFinished,
    CloseOutcome,
    WorkOrderClosed,
    WorkOrderCreated,
)
from callbacks.followup import FollowUpResult, Rating, follow_up_order_id, parse_result
from callbacks.models import OPEN_STATUSES, MissReason, OrderFilter, WorkOrder, WorkOrderStatus
from callbacks.sla import SlaPolicy
from core.call_events import CallAbandoned, CallbackLeg, CallbackLegOutcome, CallbackOutcome
from core.clock import CHINA_TZ, ManualClock
from core.errors import InvalidInput
from core.ids import CallId, EventId, SeatId
from core.ivr_events import SurveyAnswered, SurveyRating
from routing.calendar import HolidayCalendar
from store.db import Database
from store.follow_ups import FollowUpRepository
from store.ivr_outcomes import IvrOutcomes
from store.repositories import Repositories

NUMBER = "13800138000"


def answered(rig: Rig, call: str = "c1", rating: SurveyRating = SurveyRating.DISSATISFIED) -> SurveyAnswered:
    return SurveyAnswered(
        at=rig.clock.now(),
        event_id=EventId(f"{call}:survey"),
        call_id=CallId(call),
        seat_id=SeatId("1001"),
        rating=rating,
        queue="q-310106-labor",
        caller_number=NUMBER,
    )


def outcomes(db: Database, rig: Rig) -> IvrOutcomes:
    return IvrOutcomes(Repositories(db), rig.service)


def follow_ups(rig: Rig) -> list[WorkOrder]:
    return [o for o in rig.store.search() if o.reason is MissReason.FOLLOW_UP]


async def test_given_a_dissatisfied_answer_when_replayed_and_after_a_restart_then_one_follow_up_order(
    db: Database, clock: ManualClock, calendar: HolidayCalendar
) -> None:
    rig = make_rig(db, clock, calendar)
    rig.seats.add(seat("1001"), seat("1002"))
    event = answered(rig)
    await outcomes(db, rig).handle(event)
    await outcomes(db, rig).handle(event)
    restarted = make_rig(db, clock, calendar, seats=rig.seats)  # a new process: nothing in memory
    await outcomes(db, restarted).handle(event)
    [order] = follow_ups(rig)
    assert order.id == follow_up_order_id(CallId("c1"))
    assert order.caller_number == NUMBER and order.status is WorkOrderStatus.POOL
    assert order.order_no.startswith("HF") and order.team_id == "team-310106"
    created = of_type(rig.events() + restarted.events(), WorkOrderCreated)
    assert {e.event_id for e in created} == {EventId(f"{order.id}:created")}
    assert created[0].reason is MissReason.FOLLOW_UP and created[0].call_id == "c1"
    [about] = FollowUpRepository(db).of_orders([order.id]).values()
    assert (about.rated_seat_id, about.rating, about.category) == ("1001", Rating.DISSATISFIED, "labor")


async def test_given_satisfied_answers_then_no_follow_up(db: Database, rig: Rig) -> None:
    await outcomes(db, rig).handle(answered(rig, "c1", SurveyRating.SATISFIED))
    await outcomes(db, rig).handle(answered(rig, "c2", SurveyRating.BASICALLY_SATISFIED))
    assert follow_ups(rig) == []


async def test_given_an_open_callback_order_when_the_caller_rates_unsatisfied_then_both_stand_apart(
    rig: Rig,
) -> None:
    miss = CallAbandoned(
        at=rig.clock.now(),
        event_id=EventId("m1:abandoned"),
        call_id=CallId("m1"),
        queue="q-310106-labor",
        wait_seconds=30.0,
        position=1,
        original_position=1,
        caller_number=NUMBER,
    )
    await rig.service.handle(miss)
    await rig.service.open_follow_up(
        call_id=CallId("c1"),
        caller_number=NUMBER,
        seat_id=None,
        rating=SurveyRating.DISSATISFIED,
        at=rig.clock.now(),
    )
    await rig.service.handle(replace(miss, event_id=EventId("m2:abandoned"), call_id=CallId("m2")))
    open_orders = rig.store.search(OrderFilter(statuses=OPEN_STATUSES))
    assert sorted((o.reason, o.misses) for o in open_orders) == [
        (MissReason.ABANDONED, 2),
        (MissReason.FOLLOW_UP, 0),
    ]
    callback = rig.service.open_order_for(NUMBER)
    assert callback is not None and callback.reason is MissReason.ABANDONED


async def test_given_a_follow_up_then_the_rated_seat_may_neither_claim_nor_be_given_it_nor_get_it_by_auto_assignment(
    rig: Rig,
) -> None:
    order = await _open(rig)
    with pytest.raises(RatedSeatExcluded):
        await rig.service.claim(order.id, SeatId("1001"))
    with pytest.raises(RatedSeatExcluded):
        await rig.service.assign(order.id, SeatId("1001"), by="sup", any_team=True)
    with pytest.raises(RatedSeatExcluded):
        await rig.service.start_callback(order.id, SeatId("1001"))
    # The rated seat is free and holds fewer orders (ties go to the lowest id): still not it.
    rig.clock.advance(minutes=11)
    report = await rig.service.tick()
    assert report.assigned == 1
    assert rig.store.get(order.id).owner_seat_id == "1002"


async def test_given_only_the_rated_seat_free_then_the_follow_up_waits_in_the_pool(rig: Rig) -> None:
    rig.seats.add(seat("1001"))
    order = await rig.service.open_follow_up(
        call_id=CallId("c1"),
        caller_number=NUMBER,
        seat_id=SeatId("1001"),
        rating=SurveyRating.DISSATISFIED,
        at=rig.clock.now(),
    )
    assert order is not None
    rig.clock.advance(minutes=30)
    await rig.service.tick()
    assert rig.store.get(order.id).status is WorkOrderStatus.POOL


@pytest.mark.parametrize(
    ("rated_local", "days", "due_local"),
    [
        # Monday 10:00: one working day of service time later, Tuesday 10:00.
        (datetime(2026, 11, 23, 10, 0), 1.0, datetime(2026, 11, 24, 10, 0)),
        # Friday 16:30: the weekend is off, Monday 16:30.
        (datetime(2026, 11, 27, 16, 30), 1.0, datetime(2026, 11, 30, 16, 30)),
        # Saturday: counted from Monday's opening, due at its close.
        (datetime(2026, 11, 28, 11, 0), 1.0, datetime(2026, 11, 30, 17, 0)),
        # Configured to two working days.
        (datetime(2026, 11, 23, 10, 0), 2.0, datetime(2026, 11, 25, 10, 0)),
    ],
)
async def test_the_follow_up_is_due_the_configured_working_days_later(
    db: Database,
    clock: ManualClock,
    calendar: HolidayCalendar,
    rated_local: datetime,
    days: float,
    due_local: datetime,
) -> None:
    rig = make_rig(db, clock, calendar, sla=SlaPolicy(calendar=calendar, follow_up_days=days))
    rated_at = rated_local.replace(tzinfo=CHINA_TZ)
    order = await rig.service.open_follow_up(
        call_id=CallId("c1"),
        caller_number=NUMBER,
        seat_id=None,
        rating=SurveyRating.DISSATISFIED,
        at=rated_at,
    )
    assert order is not None
    assert order.deadline == due_local.replace(tzinfo=CHINA_TZ)
    assert rig.store.get(order.id).deadline == due_local.replace(tzinfo=CHINA_TZ)


async def _open(rig: Rig) -> WorkOrder:
    rig.seats.add(seat("1001"), seat("1002"))
    order = await rig.service.open_follow_up(
        call_id=CallId("c1"),
        caller_number=NUMBER,
        seat_id=SeatId("1001"),
        rating=SurveyRating.DISSATISFIED,
        at=rig.clock.now(),
    )
    assert order is not None
    return order


def _result(rig: Rig, **form: object) -> FollowUpResult:
    values: dict[str, object] = {"reached": True, "resolved": True, "satisfaction": "basically_satisfied"}
    values["note"] = "已重新解释劳动仲裁时效"
    values.update(form)
    return parse_result(by="sup-1", at=rig.clock.now(), **values)  # type: ignore[arg-type]


async def test_given_the_caller_reached_when_the_outcome_is_recorded_then_the_order_closes_with_it(
    db: Database, rig: Rig
) -> None:
    order = await _open(rig)
    rig.events()
    closed = await rig.service.record_follow_up(order.id, _result(rig), seat_id=SeatId("1002"))
    assert closed.status is WorkOrderStatus.CLOSED_REACHED
    assert "回访后基本满意" in closed.outcome_note and "劳动仲裁" in closed.outcome_note
    [about] = FollowUpRepository(db).of_orders([closed.id]).values()
    assert about.result is not None
    assert (about.result.reached, about.result.resolved, about.result.satisfaction) == (
        True,
        True,
        Rating.BASICALLY_SATISFIED,
    )
    [event] = of_type(rig.events(), WorkOrderClosed)
    assert event.outcome is CloseOutcome.REACHED and event.seat_id == "1002"


async def test_the_rated_seat_may_not_record_the_outcome(rig: Rig) -> None:
    order = await _open(rig)
    with pytest.raises(RatedSeatExcluded):
        await rig.service.record_follow_up(order.id, _result(rig), seat_id=SeatId("1001"))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"resolved": None}, "请选择问题是否已解决"),
        ({"satisfaction": None}, "请选择回访后满意度"),
        ({"satisfaction": "great"}, "回访后满意度应为满意、基本满意或不满意"),
        ({"note": "  "}, "请填写回访说明"),
        ({"note": "长" * 501}, "回访说明不能超过 500 字"),
        ({"reached": False}, "联系不上时不能填写是否解决和回访后满意度"),
        ({"reached": None}, "请选择是否联系上来电人"),
    ],
)
def test_an_invalid_outcome_is_refused_in_chinese(form: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"reached": True, "resolved": True, "satisfaction": "satisfied", "note": "好"}
    values.update(form)
    with pytest.raises(InvalidInput) as caught:
        parse_result(by="u", at=datetime(2026, 11, 23, tzinfo=UTC), **values)  # type: ignore[arg-type]
    assert str(caught.value) == message


async def test_given_an_unreached_caller_then_it_is_retried_as_callbacks_are_and_closed_unreachable_at_the_end(
    db: Database, rig: Rig
) -> None:
    order = await _open(rig)
    unreached = _result(rig, reached=False, resolved=None, satisfaction=None, note="无人接听")
    after_one = await rig.service.record_follow_up(order.id, unreached, seat_id=None)
    assert after_one.status.is_open and after_one.attempts == 1
    [first] = of_type(rig.events(), CallbackAttemptFinished)
    assert first.outcome is AttemptOutcome.NO_ANSWER
    assert first.retry_at == rig.clock.now() + rig.service.settings.retry.delays[1]
    for _ in range(rig.service.settings.retry.max_attempts - 1):
        rig.clock.advance(minutes=61)
        last = await rig.service.record_follow_up(order.id, unreached, seat_id=None)
    assert last.status is WorkOrderStatus.CLOSED_UNREACHABLE
    [about] = FollowUpRepository(db).of_orders([last.id]).values()
    assert about.result is not None and about.result.reached is False and about.done


async def test_given_a_follow_up_callback_reached_then_the_order_waits_for_its_recorded_outcome(
    rig: Rig,
) -> None:
    order = await _open(rig)
    attempt = await rig.service.start_callback(order.id, SeatId("1002"))
    await rig.service.on_leg_outcome(
        CallbackLegOutcome(
            at=rig.clock.now() + timedelta(seconds=20),
            event_id=EventId("leg:1"),
            call_id=CallId("cb-call-1"),
            leg=CallbackLeg.CUSTOMER,
            outcome=CallbackOutcome.ANSWERED,
            action_id=attempt.attempt_id,
            work_order_id=order.id,
        )
    )
    assert rig.store.get(order.id).status is WorkOrderStatus.ASSIGNED


async def test_given_a_withheld_number_then_the_follow_up_opens_but_is_never_dialled(rig: Rig) -> None:
    rig.seats.add(seat("1001"), seat("1002"))
    order = await rig.service.open_follow_up(
        call_id=CallId("c-anon"),
        caller_number="anonymous",
        seat_id=SeatId("1001"),
        rating=SurveyRating.DISSATISFIED,
        at=rig.clock.now(),
    )
    assert order is not None and order.caller_number == ""
    with pytest.raises(InvalidInput, match="来电号码未知"):
        await rig.service.start_callback(order.id, SeatId("1002"))
    assert rig.calls.originates == []
