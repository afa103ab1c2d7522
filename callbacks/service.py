"""`CallbackService`: missed calls become work orders, seats call the citizens back.

Ports injected by the app: `WorkOrderStore` (the work-order repository), `CallbackLedger`
(attempts and per-order marks), `CallControl` (Originate), `EventBus`, `Clock`, `SeatDirectory`.
Every change is committed before its event is published (ARCHITECTURE rule 8). The ports are
synchronous (one short transaction each); every call to them from here goes through
`core.blocking.offload`, so none runs on the event loop.

Exactly once, per case:

* a missed call: `WorkOrderStore.record_miss` keys missed calls by call id and allows one open
  order per number (database constraints), so a replayed or re-inferred `CallAbandoned`, or a
  burst re-read after a kill, changes nothing; the events it re-publishes carry the same ids
  (`<order>:created`, `<order>:miss:<call>`), and none is re-published for a closed order;
* a callback attempt: its id `cb-<order>-<n>` is the ledger's primary key and the Originate's
  ActionID, so attempt n is dialled once; `finish_attempt` finishes it once, so a replayed
  outcome neither counts a failure twice nor closes twice (closing is also re-derived from the
  attempts, which repairs a kill between the two writes);
* a follow-up (回访) of a 不满意 rating: its order's id is the rated call's
  (`callbacks.followup.follow_up_order_id`) and the store keeps one follow-up per call, so a
  replayed answer opens nothing more;
* an SLA alert: the ledger's mark `(order, "sla:warning"|"sla:breached")` is inserted before the
  alert is published, and only by the caller whose insert succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from callbacks import assignment, policy
from callbacks.assignment import AssignmentConfig
from callbacks.errors import (
    CallbackInProgress,
    NotOrderOwner,
    OrderAlreadyClaimed,
    OrderClosed,
    RatedSeatExcluded,
    SeatNotEligible,
)
from callbacks.events import (
    AttemptOutcome,
    CallbackAttemptFinished,
    CallbackAttemptStarted,
    CloseOutcome,
    MissNotOrdered,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderMissAdded,
    WorkOrderScheduled,
    WorkOrderSlaBreached,
    WorkOrderSlaWarning,
)
from callbacks.followup import FollowUp, FollowUpResult, Rating, follow_up_order_id, result_note
from callbacks.models import OPEN_STATUSES, MissedCall, MissReason, OrderFilter, WorkOrder, WorkOrderStatus
from callbacks.policy import OrderDecision, PolicyConfig
from callbacks.ports import CallbackLedger, CallbackSeat, FollowUpStore, SeatDirectory, WorkOrderStore
from callbacks.retry import (
    CallbackAttempt,
    RetryPlan,
    attempt_id_for,
    counted_failures,
    judge,
    outcome_of,
    retry_due,
)
from callbacks.sla import SlaPolicy, SlaState
from core import dialplan
from core.blocking import offload
from core.bus import EventBus
from core.call_events import CallAbandoned, CallbackLegOutcome, CallTimedOut
from core.clock import Clock
from core.errors import Conflict, HotlineError, InvalidInput, PbxActionFailed, PbxUnavailable
from core.events import DomainEvent
from core.ids import CallId, EventId, SeatId, TeamId, WorkOrderId, new_id
from core.ivr_events import SurveyRating
from core.ports import CallControl
from core.privacy import mask_number
from core.values import copy_fields

log = logging.getLogger(__name__)

SKILL_MARK = "skill"
WARNING_MARK = "sla:warning"
BREACHED_MARK = "sla:breached"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackSettings:
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    assignment: AssignmentConfig = field(default_factory=AssignmentConfig)
    retry: RetryPlan = field(default_factory=RetryPlan)
    context: str = dialplan.CALLBACK  # extensions.conf: [hotline-callback] dials PJSIP/${EXTEN}
    work_order_variable: str = "WORK_ORDER_ID"  # what the tracker looks for on the Originate
    caller_id: str = '"12348回拨" <12348>'  # shown on the seat's phone
    originate_timeout_ms: int = 30_000
    auto_retry: bool = True  # the tick re-dials a due retry when the owner seat is free
    tick_batch: int = 5_000


@dataclass(slots=True)
class TickReport:
    assigned: int = 0
    warnings: int = 0
    breaches: int = 0
    retries_started: int = 0
    attempts_lost: int = 0
    closed: int = 0


class CallbackService:
    def __init__(
        self,
        *,
        store: WorkOrderStore,
        ledger: CallbackLedger,
        calls: CallControl,
        bus: EventBus,
        clock: Clock,
        seats: SeatDirectory,
        sla: SlaPolicy,
        settings: CallbackSettings | None = None,
        follow_ups: FollowUpStore | None = None,
    ) -> None:
        """`follow_ups` None: no 回访 orders are opened (a rig without that table)."""
        self._store = store
        self._follow_ups = follow_ups
        self._ledger = ledger
        self._calls = calls
        self._bus = bus
        self._clock = clock
        self._seats = seats
        self._sla = sla
        self._settings = settings or CallbackSettings()

    @property
    def settings(self) -> CallbackSettings:
        return self._settings

    # --- missed calls ---------------------------------------------------------------------------

    async def handle(self, event: DomainEvent) -> None:
        """The bus handler: missed calls and callback outcomes; anything else is ignored."""
        if isinstance(event, CallAbandoned):
            await self.record_miss(policy.from_abandoned(event, self._settings.policy))
        elif isinstance(event, CallTimedOut):
            await self.record_miss(policy.from_timed_out(event, self._settings.policy))
        elif isinstance(event, CallbackLegOutcome):
            await self.on_leg_outcome(event)

    async def record_callback_request(
        self,
        call_id: CallId,
        caller_number: str | None,
        reason: MissReason,
        at: datetime,
        district_code: str | None,
        office_team_id: TeamId | None,
        *,
        queue: str | None = None,
        category: str | None = None,
    ) -> WorkOrder | None:
        """The IVR's "press 1 to be called back" and after-hours misses (`reason`: AFTER_HOURS or
        IVR_REQUEST), whatever event type the IVR publishes them as."""
        decision = policy.decide(
            call_id=call_id,
            caller_number=caller_number,
            reason=reason,
            at=at,
            district_code=district_code,
            office_team_id=office_team_id,
            queue=queue,
            category=category,
            config=self._settings.policy,
        )
        return await self.record_miss(decision)

    async def record_queue_full(
        self, call_id: CallId, caller_number: str | None, queue: str, at: datetime
    ) -> WorkOrder | None:
        return await self.record_miss(
            policy.from_queue_full(call_id, caller_number, queue, at, self._settings.policy)
        )

    async def record_miss(self, decision: OrderDecision) -> WorkOrder | None:
        """Open or extend the caller's order for this missed call, once; None when no order is due."""
        if decision.not_ordered is not None:
            log.info("missed call %s opens no order: %s", decision.call_id, decision.not_ordered.value)
            await self._bus.publish(
                MissNotOrdered(
                    at=decision.at,
                    event_id=EventId(f"{decision.call_id}:not-ordered"),
                    call_id=decision.call_id,
                    reason=decision.not_ordered,
                    miss_reason=decision.reason,
                    team_id=decision.team_id,
                    district_code=decision.district_code,
                )
            )
            return None
        fresh = WorkOrder(
            id=WorkOrderId(new_id("wo_")),
            caller_number=decision.caller_number,
            reason=decision.reason,
            status=WorkOrderStatus.POOL,
            team_id=decision.team_id,
            created_at=decision.at,
            deadline=self._sla.deadline(decision.at),
        )
        order, created = await self._open_or_join(decision.call_id, fresh)
        opened_by_this_call = created or await self._opened_by(order, decision.call_id)
        if opened_by_this_call and decision.skill:
            await offload(self._ledger.add_mark, order.id, SKILL_MARK, decision.skill, decision.at)
        if not order.status.is_open:
            return order  # a replay of a call whose order is already done: nothing to announce
        if opened_by_this_call:
            await self._announce_opened(order, decision.call_id, decision.at, decision.district_code)
        else:
            await self._bus.publish(
                WorkOrderMissAdded(
                    at=decision.at,
                    event_id=EventId(f"{order.id}:miss:{decision.call_id}"),
                    order_id=order.id,
                    team_id=order.team_id,
                    call_id=decision.call_id,
                    reason=decision.reason,
                    misses=order.misses,
                    seat_id=order.owner_seat_id,
                )
            )
        return order

    async def _open_or_join(self, call_id: CallId, fresh: WorkOrder) -> tuple[WorkOrder, bool]:
        """Call `call_id` on the caller's open order, or on `fresh`; (the order, whether it is
        new). Once per call: a call already recorded gives its order back."""
        miss = MissedCall(call_id=call_id, order_id=fresh.id, reason=fresh.reason, at=fresh.created_at)
        return await offload(self._record, miss, fresh)

    async def _announce_opened(
        self, order: WorkOrder, call_id: CallId, at: datetime, district_code: str | None = None
    ) -> None:
        log.info("work order %s opened for %s", order.id, mask_number(order.caller_number))
        await self._bus.publish(
            copy_fields(
                WorkOrderCreated,
                order,
                at=at,
                event_id=EventId(f"{order.id}:created"),
                order_id=order.id,
                call_id=call_id,
                district_code=district_code,
            )
        )

    def _record(self, miss: MissedCall, fresh: WorkOrder) -> tuple[WorkOrder, bool]:
        """Blocking (two transactions at worst): called through `offload`."""
        try:
            return self._store.record_miss(miss, fresh)
        except HotlineError:
            # BackendUnavailable included: the database is down, not a race. Retrying at once
            # would fail alike; the caller (the bus subscriber's journal) retries it later.
            raise
        except Exception:
            # Another worker recorded the same call (or opened an order for the number) between
            # our read and our insert: the unique keys refused ours. Read again: now it is a no-op
            # or an extension of that order. (callbacks cannot name the driver's IntegrityError;
            # the store turns an outage into BackendUnavailable, so what lands here is a refusal.)
            log.warning("recording missed call %s raced another writer; retrying once", miss.call_id)
            return self._store.record_miss(miss, fresh)

    async def _opened_by(self, order: WorkOrder, call_id: CallId) -> bool:
        calls = await offload(self._store.calls_of, order.id)
        return bool(calls) and calls[0].call_id == call_id

    def open_order_for(self, caller_number: str) -> WorkOrder | None:
        """The caller's open order, for the screen pop when they call in again (blocking: from async
        code, call it through `offload`)."""
        number, why_not = policy.normalise_number(caller_number, self._settings.policy)
        if why_not is not None:
            return None
        return self._store.open_for_number(number)

    # --- 预约回拨 -----------------------------------------------------------------------------------

    async def schedule_callback(
        self,
        *,
        call_id: CallId,
        caller_number: str,
        seat: CallbackSeat | SeatId,
        at: datetime,
        note: str = "",
    ) -> WorkOrder:
        """During call `call_id` the seat agreed with the caller to call back at `at`: the caller's
        open order (or a new one, 预约回拨) becomes this seat's, due at `at` (an SLA warning to the
        seat then) and breached `appointment_grace` later."""
        now = self._clock.now()
        self._sla.check_appointment(at, now)
        number, why_not = policy.normalise_number(caller_number, self._settings.policy)
        if why_not is not None:
            raise InvalidInput(f"无法预约回拨：{why_not.label}")
        who = await self._resolve_seat(seat)
        deadline = at + self._sla.appointment_grace
        existing = await offload(self._store.open_for_number, number)
        if existing is not None:
            order = existing
        else:
            fresh = WorkOrder(
                id=WorkOrderId(new_id("wo_")),
                caller_number=number,
                reason=MissReason.APPOINTMENT,
                status=WorkOrderStatus.ASSIGNED,
                team_id=who.team_id,
                owner_seat_id=who.id,
                created_at=now,
                deadline=deadline,
                misses=0,
                scheduled_for=at,
            )
            order, created = await self._open_or_join(call_id, fresh)
            if created:
                await self._announce_opened(order, call_id, now)
        if order.scheduled_for != at or order.owner_seat_id != who.id:
            # The caller's order already open (a missed call before): it is this seat's, for `at`.
            moved = replace(
                order,
                status=WorkOrderStatus.ASSIGNED,
                owner_seat_id=who.id,
                team_id=who.team_id,
                scheduled_for=at,
                deadline=deadline,
            )
            order = await offload(self._store.update, moved, expected_status=order.status)
        if note.strip():
            await offload(
                self._ledger.add_mark, order.id, f"appointment@{at:%Y%m%d%H%M}", note.strip()[:200], now
            )
        await self._bus.publish(
            WorkOrderScheduled(
                at=now,
                order_id=order.id,
                team_id=order.team_id,
                seat_id=who.id,
                call_id=call_id,
                scheduled_for=at,
                order_no=order.order_no,
            )
        )
        log.info("work order %s: callback agreed for %s", order.id, at.isoformat())
        return order

    # --- 回访: the follow-up of a 不满意 rating -----------------------------------------------------

    async def open_follow_up(
        self,
        *,
        call_id: CallId,
        caller_number: str,
        seat_id: SeatId | None,
        rating: SurveyRating,
        at: datetime,
        queue: str | None = None,
        category: str | None = None,
        district_code: str | None = None,
    ) -> WorkOrder | None:
        """A survey answer: a 不满意 one opens the rated call's follow-up order, once (None: no
        follow-up is due, or this service keeps none). The order is the rated seat's team's (else
        the call's district team, else the city pool), due `SlaPolicy.follow_up_deadline`."""
        if rating is not SurveyRating.DISSATISFIED or self._follow_ups is None:
            return None
        number, why_not = policy.normalise_number(caller_number, self._settings.policy)
        rated = await offload(self._seats.seat, seat_id) if seat_id else None
        district, category = policy.district_and_category(queue, district_code, category)
        team = rated.team_id if rated is not None else policy.team_for(district, None, self._settings.policy)
        order_id = follow_up_order_id(call_id)
        fresh = WorkOrder(
            id=order_id,
            caller_number=number if why_not is None else "",
            reason=MissReason.FOLLOW_UP,
            status=WorkOrderStatus.POOL,
            team_id=team,
            created_at=at,
            deadline=self._sla.follow_up_deadline(at),
            misses=0,
        )
        about = FollowUp(
            order_id=order_id,
            call_id=call_id,
            rated_seat_id=seat_id or None,
            rating=Rating(rating.value),
            rated_at=at,
            team_id=team,
            category=category,
            district_code=district,
        )
        order, created = await offload(self._follow_ups.open, fresh, about)
        if created and about.category:
            await offload(self._ledger.add_mark, order.id, SKILL_MARK, about.category, at)
        if order.status.is_open:  # a replay re-announces with the same event id; consumers drop it
            await self._announce_opened(order, call_id, at, district)
        return order

    async def record_follow_up(
        self, order_id: WorkOrderId, result: FollowUpResult, *, seat_id: SeatId | None
    ) -> WorkOrder:
        """The follow-up's outcome, recorded by whoever phoned (`seat_id`: a seat's; None: a
        supervisor's). Reached: the order closes with `result`. Not reached (联系不上): a failed
        attempt of the retry plan; the order closes as unreachable once the plan is used up."""
        order = await self._open_order(order_id)
        if order.reason is not MissReason.FOLLOW_UP:
            raise InvalidInput("该工单不是回访工单", order_id=order_id)
        if seat_id is not None:
            await self._refuse_rated_seat(order, seat_id)
        now = result.at or self._clock.now()
        if result.reached:
            if not await self._close(
                order, CloseOutcome.REACHED, result_note(result), now, seat_id, by=result.by, result=result
            ):
                raise OrderClosed("工单已结案", order_id=order_id)
            return await offload(self._store.get, order_id)
        attempt = await self._start_attempt(order, seat_id or SeatId(result.by), now)
        await offload(
            self._store.update, replace(order, attempts=attempt.number), expected_status=order.status
        )
        if result.note:
            await offload(
                self._ledger.add_mark, order.id, f"follow-up:{attempt.number}", result.note[:200], now
            )
        await self._finish(attempt, AttemptOutcome.NO_ANSWER, now)
        return await offload(self._store.get, order_id)

    async def _rated_seats(self, orders: Sequence[WorkOrder]) -> dict[WorkOrderId, SeatId]:
        """The rated seat of each follow-up among `orders` (who may never handle it)."""
        ids = [o.id for o in orders if o.reason is MissReason.FOLLOW_UP]
        if not ids or self._follow_ups is None:
            return {}
        found = await offload(self._follow_ups.of_orders, ids)
        return {oid: f.rated_seat_id for oid, f in found.items() if f.rated_seat_id is not None}

    async def _refuse_rated_seat(self, order: WorkOrder, seat_id: SeatId) -> None:
        if (await self._rated_seats([order])).get(order.id) == seat_id:
            raise RatedSeatExcluded(
                "被评价的坐席不能处理本通话的回访工单", order_id=order.id, seat_id=seat_id
            )

    # --- who handles it -------------------------------------------------------------------------

    async def claim(self, order_id: WorkOrderId, seat: CallbackSeat | SeatId) -> WorkOrder:
        who = await self._resolve_seat(seat)
        order = await offload(self._store.get, order_id)
        await self._refuse_rated_seat(order, who.id)
        claimed = assignment.claim(order, who, self._clock.now())
        try:
            return await self._commit(claimed, expected_status=WorkOrderStatus.POOL)
        except Conflict as exc:
            raise OrderAlreadyClaimed("工单已被其他坐席领取", order_id=order_id) from exc

    async def assign(
        self, order_id: WorkOrderId, seat: CallbackSeat | SeatId, *, by: str, any_team: bool = False
    ) -> WorkOrder:
        """A supervisor gives (or moves) the order to a seat."""
        current = await offload(self._store.get, order_id)
        who = await self._resolve_seat(seat)
        await self._refuse_rated_seat(current, who.id)
        assigned = assignment.assign(current, who, self._clock.now(), by=by, any_team=any_team)
        return await self._commit(assigned, expected_status=current.status)

    async def release(self, order_id: WorkOrderId, *, by: str) -> WorkOrder:
        """Back to the team pool (a supervisor, or the seat giving it up)."""
        current = await offload(self._store.get, order_id)
        released = assignment.release(current, self._clock.now(), by=by)
        return await self._commit(released, expected_status=WorkOrderStatus.ASSIGNED)

    async def _commit(
        self, change: tuple[WorkOrder, DomainEvent], *, expected_status: WorkOrderStatus
    ) -> WorkOrder:
        """Save the changed order (`Conflict` when its status is no longer `expected_status`),
        then publish the fact."""
        order, event = change
        saved = await offload(self._store.update, order, expected_status=expected_status)
        await self._bus.publish(event)
        return saved

    async def _resolve_seat(self, seat: CallbackSeat | SeatId) -> CallbackSeat:
        if not isinstance(seat, str):
            return seat
        found = await offload(self._seats.seat, seat)
        if found is None:
            raise SeatNotEligible("坐席不存在", seat_id=seat)
        return found

    # --- calling back ---------------------------------------------------------------------------

    async def start_callback(self, order_id: WorkOrderId, seat: CallbackSeat | SeatId) -> CallbackAttempt:
        """Ring the seat's phone, then (dialplan `callback`) the citizen. A pooled order is claimed."""
        who = await self._resolve_seat(seat)
        order = await self._open_order(order_id)
        if not order.caller_number:  # a follow-up of a caller who withheld the number
            raise InvalidInput("来电号码未知，无法回拨：请记录为联系不上，或由班长撤销", order_id=order_id)
        if order.status is WorkOrderStatus.POOL:
            order = await self.claim(order_id, who)
        elif order.owner_seat_id != who.id:
            raise NotOrderOwner("该工单已分派给其他坐席", order_id=order_id, seat_id=who.id)
        now = self._clock.now()
        attempt = await self._start_attempt(order, who.id, now)
        try:
            order = await offload(
                self._store.update,
                replace(order, attempts=attempt.number),
                expected_status=WorkOrderStatus.ASSIGNED,
            )
        except Conflict:
            await self._finish(attempt, AttemptOutcome.NOT_STARTED, now)
            raise
        await self._bus.publish(
            CallbackAttemptStarted(
                at=now,
                event_id=EventId(f"{attempt.attempt_id}:started"),
                order_id=order.id,
                team_id=order.team_id,
                seat_id=who.id,
                attempt_id=attempt.attempt_id,
                attempt=attempt.number,
            )
        )
        try:
            await self._calls.originate(
                who.interface,
                context=self._settings.context,
                exten=order.caller_number,
                caller_id=self._settings.caller_id,
                variables={self._settings.work_order_variable: order.id},
                # Echoed in OriginateResponse and carried by the tracker into every
                # CallbackLegOutcome of this call: that is how the outcome finds its attempt.
                action_id=attempt.attempt_id,
                timeout_ms=self._settings.originate_timeout_ms,
            )
        except (PbxUnavailable, PbxActionFailed):
            await self._finish(attempt, AttemptOutcome.NOT_STARTED, self._clock.now())
            raise
        return attempt

    async def _start_attempt(self, order: WorkOrder, seat_id: SeatId, at: datetime) -> CallbackAttempt:
        """Record the order's next attempt, by `seat_id`, once; `CallbackInProgress` while one is
        unfinished, or when another worker started the same attempt first."""
        attempts = await self._attempts(order.id)
        if any(not a.finished for a in attempts):
            raise CallbackInProgress("该工单正在回拨中", order_id=order.id)
        number = max((a.number for a in attempts), default=0) + 1
        attempt = CallbackAttempt(
            attempt_id=attempt_id_for(order.id, number),
            order_id=order.id,
            number=number,
            seat_id=seat_id,
            started_at=at,
        )
        if not await offload(self._ledger.start_attempt, attempt):
            raise CallbackInProgress("该工单正在回拨中", order_id=order.id)
        return attempt

    async def on_leg_outcome(self, event: CallbackLegOutcome) -> None:
        outcome = outcome_of(event)
        if outcome is None:
            return  # the seat answered: the citizen is being dialled
        attempt = await offload(self._ledger.get_attempt, event.action_id) if event.action_id else None
        if attempt is None and event.work_order_id:
            pending = [a for a in await self._attempts(WorkOrderId(event.work_order_id)) if not a.finished]
            attempt = pending[-1] if pending else None
        if attempt is None:
            log.info("callback outcome %s matches no attempt of ours", event.event_id)
            return
        await self._finish(attempt, outcome, event.at, call_id=event.call_id)

    async def _finish(
        self, attempt: CallbackAttempt, outcome: AttemptOutcome, at: datetime, *, call_id: str = ""
    ) -> None:
        others = [a for a in await self._attempts(attempt.order_id) if a.attempt_id != attempt.attempt_id]
        verdict = judge(outcome, at, others, self._settings.retry)
        finished = replace(
            attempt,
            outcome=outcome,
            finished_at=at,
            counted=verdict.counted,
            retry_at=verdict.retry_at,
            call_id=call_id,
        )
        done = await offload(self._ledger.finish_attempt, finished)
        if done is None:  # finished before: a replay, or the outcome came after the attempt was lost
            done = await offload(self._ledger.get_attempt, attempt.attempt_id)
            if done is None or done.outcome is None or done.finished_at is None:
                return
        order = await offload(self._store.get, attempt.order_id)
        await self._bus.publish(
            CallbackAttemptFinished(
                at=done.finished_at or at,
                event_id=EventId(f"{done.attempt_id}:finished"),
                order_id=order.id,
                team_id=order.team_id,
                seat_id=done.seat_id,
                attempt_id=done.attempt_id,
                attempt=done.number,
                outcome=done.outcome or outcome,
                retry_at=done.retry_at,
                call_id=done.call_id,
            )
        )
        await self._settle(order, await self._attempts(order.id))

    async def _settle(self, order: WorkOrder, attempts: Sequence[CallbackAttempt]) -> bool:
        """Close the order when its attempts say so (reached, or the plan is used up). True if closed."""
        if not order.status.is_open:
            return False
        follow_up = order.reason is MissReason.FOLLOW_UP
        reached = next((a for a in attempts if a.outcome is AttemptOutcome.REACHED), None)
        if reached is not None and not follow_up:  # a follow-up closes with its recorded result
            note = f"第{reached.number}次回拨已接通，咨询记录见通话 {reached.call_id}".rstrip()
            return await self._close(
                order, CloseOutcome.REACHED, note, reached.finished_at or self._clock.now(), reached.seat_id
            )
        failures = counted_failures(attempts)
        if failures >= self._settings.retry.max_attempts:
            last = max(attempts, key=lambda a: a.number)
            at = last.finished_at or self._clock.now()
            note = f"已{'回访' if follow_up else '回拨'}{failures}次均未接通"
            result = FollowUpResult(reached=False, note=note, by="system", at=at) if follow_up else None
            return await self._close(order, CloseOutcome.UNREACHABLE, note, at, last.seat_id, result=result)
        return False

    async def _close(
        self,
        order: WorkOrder,
        outcome: CloseOutcome,
        note: str,
        at: datetime,
        seat_id: SeatId | None,
        *,
        by: str = "system",
        result: FollowUpResult | None = None,
    ) -> bool:
        """`result`: a follow-up's, written with the closed order in one transaction."""
        status = {
            CloseOutcome.REACHED: WorkOrderStatus.CLOSED_REACHED,
            CloseOutcome.UNREACHABLE: WorkOrderStatus.CLOSED_UNREACHABLE,
        }.get(outcome, WorkOrderStatus.CLOSED_OTHER)
        current = order
        for _ in range(2):
            if not current.status.is_open:
                return False
            closed = replace(current, status=status, closed_at=at, outcome_note=note)
            try:
                if result is not None and self._follow_ups is not None:
                    await offload(
                        self._follow_ups.close, closed, expected_status=current.status, result=result
                    )
                else:
                    await offload(self._store.update, closed, expected_status=current.status)
            except Conflict:
                current = await offload(self._store.get, order.id)  # claimed or released meanwhile: try again
                continue
            await self._bus.publish(
                WorkOrderClosed(
                    at=at,
                    event_id=EventId(f"{order.id}:closed"),
                    order_id=order.id,
                    team_id=order.team_id,
                    seat_id=seat_id or current.owner_seat_id,
                    outcome=outcome,
                    note=note,
                    by=by,
                )
            )
            return True
        raise Conflict("工单状态已变化，请刷新后重试", order_id=order.id)

    async def close_called_back(self, order_id: WorkOrderId, *, call_id: CallId, by: str) -> WorkOrder:
        """The citizen called in again and was served: the order is done."""
        return await self.close(
            order_id, CloseOutcome.CALLER_CALLED_BACK, note=f"来电人已再次来电（通话 {call_id}）", by=by
        )

    async def close(self, order_id: WorkOrderId, outcome: CloseOutcome, *, note: str, by: str) -> WorkOrder:
        order = await self._open_order(order_id)
        if not await self._close(order, outcome, note, self._clock.now(), order.owner_seat_id, by=by):
            raise OrderClosed("工单已结案", order_id=order_id)
        return await offload(self._store.get, order_id)

    async def _open_order(self, order_id: WorkOrderId) -> WorkOrder:
        """The order, still open (`OrderClosed` when it is done)."""
        order = await offload(self._store.get, order_id)
        if not order.status.is_open:
            raise OrderClosed("工单已结案", order_id=order_id)
        return order

    async def _attempts(self, order_id: WorkOrderId) -> list[CallbackAttempt]:
        found = await offload(self._ledger.attempts_of, [order_id])
        return sorted(found.get(order_id, []), key=lambda a: a.number)

    # --- the periodic tick ----------------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Lost attempts, closing, SLA alerts, auto-assignment and due retries; safe to repeat."""
        now = self._clock.now()
        report = TickReport()
        for attempt in await offload(self._ledger.unfinished_attempts):
            if now - attempt.started_at >= self._settings.retry.attempt_timeout:
                await self._finish(attempt, AttemptOutcome.LOST, now)
                report.attempts_lost += 1
        orders = await offload(
            self._store.search, OrderFilter(statuses=OPEN_STATUSES, limit=self._settings.tick_batch)
        )
        ids = [o.id for o in orders]
        attempts = await offload(self._ledger.attempts_of, ids)
        marks = await offload(self._ledger.marks_of, ids)
        rated = await self._rated_seats(orders)
        counts = assignment.open_counts(orders)
        free: dict[TeamId, Sequence[CallbackSeat]] = {}

        async def free_seats(team_id: TeamId) -> Sequence[CallbackSeat]:
            if team_id not in free:
                free[team_id] = await self._seats.available_seats(team_id)
            return free[team_id]

        for order in orders:
            mine = sorted(attempts.get(order.id, []), key=lambda a: a.number)
            if await self._settle(order, mine):
                report.closed += 1
                continue
            await self._alert(order, marks.get(order.id, {}), now, report)
            team = order.team_id
            if team is None:
                continue  # an order without a team is only ever claimed by hand
            if assignment.due_for_auto_assign(order, now, self._settings.assignment):
                skill = marks.get(order.id, {}).get(SKILL_MARK)
                candidates = [s for s in await free_seats(team) if s.id != rated.get(order.id)]
                seat = assignment.pick_seat(candidates, counts, skill, self._settings.assignment)
                if seat is not None:
                    try:
                        order = await self._auto_assign(order, seat)
                    except Conflict:
                        continue  # a seat claimed it meanwhile
                    counts[seat.id] = counts.get(seat.id, 0) + 1
                    report.assigned += 1
            if (
                self._settings.auto_retry
                and order.status is WorkOrderStatus.ASSIGNED
                and retry_due(mine, now)
                and any(s.id == order.owner_seat_id for s in await free_seats(team))
            ):
                owner = next(s for s in await free_seats(team) if s.id == order.owner_seat_id)
                try:
                    await self.start_callback(order.id, owner)
                except HotlineError as exc:
                    log.warning("retry of work order %s not started: %s", order.id, exc.error_id)
                    continue
                report.retries_started += 1
        return report

    async def _auto_assign(self, order: WorkOrder, seat: CallbackSeat) -> WorkOrder:
        assigned = assignment.assign(order, seat, self._clock.now(), by=assignment.AUTO)
        return await self._commit(assigned, expected_status=WorkOrderStatus.POOL)

    async def _alert(
        self, order: WorkOrder, seen: Mapping[str, str], now: datetime, report: TickReport
    ) -> None:
        state = self._sla.state_of(order, now)
        if state is SlaState.OK:
            return
        # An appointment's alarms are its time's: moved to another time, it alerts again.
        when = f"@{order.scheduled_for:%Y%m%d%H%M}" if order.scheduled_for is not None else ""
        warning, breached = WARNING_MARK + when, BREACHED_MARK + when
        if state is SlaState.BREACHED:
            if breached in seen:
                return
            # A breach implies the warning; a late warning after the breach would only confuse.
            await offload(self._ledger.add_mark, order.id, warning, "", now)
            if await self._raise_alarm(order, breached, WorkOrderSlaBreached, now):
                report.breaches += 1
            return
        if warning not in seen and await self._raise_alarm(order, warning, WorkOrderSlaWarning, now):
            report.warnings += 1

    async def _raise_alarm(
        self,
        order: WorkOrder,
        mark: str,
        alarm: type[WorkOrderSlaWarning] | type[WorkOrderSlaBreached],
        now: datetime,
    ) -> bool:
        """Publish the order's SLA alarm once: only the caller whose `mark` insert succeeded does."""
        if not await offload(self._ledger.add_mark, order.id, mark, "", now):
            return False
        await self._bus.publish(
            alarm(
                at=now,
                event_id=EventId(f"{order.id}:{mark}"),
                order_id=order.id,
                team_id=order.team_id,
                seat_id=order.owner_seat_id,
                deadline=order.deadline,
                order_no=order.order_no,
            )
        )
        return True
