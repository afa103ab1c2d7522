"""`SeatWorkspace`: the seat lawyer's workspace (坐席工作台) as a use case.

Reads come from the live state (the calls as the consoles read them, `core.call_view.CallViews`,
and the seat board: owned by the event loop and read on it) and the store (a call not in memory:
its row and trail, the same projection stored; transcripts, consultation records, work orders:
blocking, so always through `core.blocking.offload`). Commands go to Asterisk through the
`CallControl` port; the outcome comes back only as AMI events, as everywhere else.

Transfers are AMI `Redirect`s of the CALLER's channel (Asterisk then hangs up the seat's leg,
which is left alone in the bridge). Context names come from `core.dialplan`; against the rendered
extensions.conf (asterisk_conf/templates/extensions.conf):

* external (12345 / 12368 / 12309): `dialplan.TRANSFER`, exten = the number -> Dial through the
  trunk endpoint; a failed Dial re-queues the caller with a prompt;
* skill queue: `dialplan.TRANSFER`, exten = the queue name (q-310106-labor) -> sets
  HOTLINE_QUEUE=${EXTEN} and re-enters the queue context (a fresh Queue(), survey afterwards);
* seat: `dialplan.SEAT_TRANSFER`, exten = the seat phone's resource (PJSIP/1002 -> 1002) ->
  Dial(PJSIP/${EXTEN}); not answered or busy -> back to the caller's queue.
  Only an available seat may be chosen; app_queue does not see this ring (no SeatRinging).
  The seat target `ANY_EXPERT` (任一空闲专家) is the expert seat (专家坐席) free longest
  (`seats.experts.free_expert`), picked when the command arrives and dialled as any seat.

Must be constructed inside the running event loop (it subscribes to the bus).
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from core import dialplan
from core.asr_events import Leg, TranscriptSegment
from core.blocking import offload
from core.bus import EventBus
from core.call_events import (
    CallDirection,
    CallEnded,
    CallLegEnded,
    CallTransferred,
    SeatRinging,
    ThirdPartyJoined,
    ThirdPartyLeft,
    TransferKind,
)
from core.call_view import CallView, CallViews
from core.calls import CallLeg, TranscriptLine
from core.clock import Clock
from core.errors import BackendUnavailable, Conflict, InvalidInput, NotFound, PbxActionFailed, PbxUnavailable
from core.events import DomainEvent
from core.ids import CallId, OfficeId, SeatId, WorkOrderId
from core.ports import CallControl, LiveCalls
from core.privacy import restore_masked
from core.seat_events import SYSTEM_PAUSE_REASONS, PauseReason, SeatStatus
from core.values import copy_fields
from routing.queues import LegalCategory, QueueRules
from seats.after_call import AfterCallWork
from seats.board import SeatBoard
from seats.experts import free_expert
from seats.local_spy import end_local, spy_from_local
from seats.models import Seat
from seats.ports import (
    CallerOrder,
    CallerOrders,
    CallHistory,
    ConsultationRecords,
    OfficeLookup,
    SeatRoster,
    StoredTranscripts,
    TeamDirectory,
)
from seats.records import (
    ConsultationOutcome,
    ConsultationRecord,
    RecordInput,
    UnsubmittedRecord,
    check_record,
)
from seats.service import SeatService
from seats.state import SeatState
from seats.workspace_views import (
    AddressChoice,
    CallerFile,
    Choice,
    OfficeCard,
    PastCall,
    PastOrder,
    PastRecord,
    QueueChoice,
    ScreenPop,
    SeatView,
    TargetSeat,
    TranscriptEntry,
    TransferSent,
    TransferTargets,
)
from seats.wrap_up import WrapUpExtended, WrapUpPolicies

log = logging.getLogger(__name__)

CONSOLE_TRANSFERS = (TransferKind.SEAT, TransferKind.QUEUE, TransferKind.EXTERNAL)
"""What a seat may choose in the workspace (the phone's own transfer keys are not ours)."""
CONSULT_TRANSFERS = (TransferKind.SEAT, TransferKind.EXTERNAL)
"""Whom a seat may consult before an attended transfer (a seat, an expert seat among them)."""
ANY_EXPERT = "expert:any"
"""The seat target 任一空闲专家: no seat id has a colon (seats.seat_import.SEAT_ID)."""
ANY_EXPERT_LABEL = "任一空闲专家"

_LIVE_CALLS = 200  # transcripts kept in memory for this many recent calls
_LIVE_SEGMENTS = 2000  # per call
_VOLUME_RX = "VOLUME(RX)"  # func_volume: the gain of what a channel's phone sends
_SILENT_GAIN = "-32768"  # negative: every sample divided by 32768, i.e. 0
_THIRD_RING_MS = 65_000  # a third party may ring this long (the trunk's 60 s, a seat's 30 s)
_MIN_FILE_DIGITS = 5  # hidden or short numbers get no caller file: they would match strangers


def _choices(members: Iterable[PauseReason | LegalCategory | ConsultationOutcome]) -> tuple[Choice, ...]:
    return tuple(Choice(m.value, m.label) for m in members)


def leg_label(leg: str) -> str:
    try:
        return Leg(leg).label
    except ValueError:
        return leg


class QueueLabels:
    """q-310106-labor -> 静安区·劳动争议; q-city-labor -> 全市·劳动争议; q-afterhours -> 非工作时间坐席.

    Built from the queue rules' own names, so nothing here reads a queue name apart."""

    def __init__(self, rules: QueueRules, district_names: Mapping[str, str]) -> None:
        self._labels = {rules.after_hours_queue: "非工作时间坐席"}
        for category in LegalCategory:
            self._labels[rules.city_queue_name(category)] = f"全市·{category.label}"
            for code in rules.districts:
                where = district_names.get(code, code)
                self._labels[rules.district_queue_name(code, category)] = f"{where}·{category.label}"

    def __call__(self, name: str) -> str:
        return self._labels.get(name, name)


class LiveTranscripts:
    """Recent transcript segments from the bus, per call (a partial gives way to its final)."""

    def __init__(self) -> None:
        self._calls: OrderedDict[CallId, dict[tuple[str, str, int], TranscriptSegment]] = OrderedDict()

    def add(self, seg: TranscriptSegment) -> None:
        buf = self._calls.setdefault(seg.call_id, {})
        self._calls.move_to_end(seg.call_id)
        key = (seg.leg.value, seg.stream_id, seg.seq)
        old = buf.get(key)
        if (old is None or not old.final) and (old is not None or len(buf) < _LIVE_SEGMENTS):
            buf[key] = seg
        while len(self._calls) > _LIVE_CALLS:
            self._calls.popitem(last=False)

    def of(self, call_id: CallId) -> list[TranscriptSegment]:
        return list(self._calls.get(call_id, {}).values())


def _local_id(prefix: str) -> str:
    """A new ChannelId `<prefix><id>` for the Local channel of a hold or a third party: AMI Hangup
    ends it by that id (`seats.local_spy`)."""
    return f"{prefix}{uuid.uuid4().hex[:16]}"


class SeatWorkspace:
    def __init__(
        self,
        *,
        board: SeatBoard,
        views: CallViews,
        live: LiveCalls,
        bus: EventBus,
        clock: Clock,
        rules: QueueRules,
        seats: SeatRoster,
        teams: TeamDirectory,
        calls: CallHistory,
        records: ConsultationRecords,
        transcripts: StoredTranscripts,
        orders: CallerOrders,
        offices: OfficeLookup | None,
        district_names: Mapping[str, str],
        transfer_numbers: Mapping[str, str],
        wrap_up_seconds: float,
        commands: SeatService | None,
        control: CallControl | None,
        after_call: AfterCallWork | None = None,
        policies: WrapUpPolicies | None = None,
        transfer_context: str = dialplan.TRANSFER,
        seat_dial_context: str = dialplan.SEAT_TRANSFER,
    ) -> None:
        self._board = board
        self._views = views
        self._live_calls = live  # the PBX's channels, for the commands
        self._bus = bus
        self._clock = clock
        self._rules = rules
        self._seats = seats
        self._teams = teams
        self._calls = calls
        self._records = records
        self._transcripts = transcripts
        self._orders = orders
        self._offices = offices
        self._districts = district_names
        self._transfer_numbers = transfer_numbers  # read at each use: settings may change
        self._wrap_up_seconds = wrap_up_seconds
        self._commands = commands
        self._control = control
        self._after_call = after_call
        self._policies = policies
        self._transfer_context = transfer_context
        self._seat_dial_context = seat_dial_context
        self.queue_label = QueueLabels(rules, district_names)
        self._live = LiveTranscripts()
        self._seat_legs: OrderedDict[tuple[CallId, SeatId], str] = OrderedDict()
        self._consults: dict[tuple[CallId, SeatId], str] = {}  # consultations under way: exten
        self._muted: set[tuple[CallId, SeatId]] = set()  # seats that muted themselves (静音)
        self._holds: dict[CallId, str] = {}  # call -> the ChannelId of its hold's Local channel
        self._thirds: dict[CallId, str] = {}  # call -> the ChannelId of its third party's
        bus.subscribe(
            "seat-console",
            self._follow,
            types=(
                TranscriptSegment,
                SeatRinging,
                CallTransferred,
                CallLegEnded,
                CallEnded,
                ThirdPartyJoined,
                ThirdPartyLeft,
            ),
        )

    # --- collaborators ---------------------------------------------------------------------

    @property
    def control(self) -> CallControl:
        if self._control is None:
            raise PbxUnavailable("未连接交换机，暂时无法操作通话")
        return self._control

    @property
    def commands(self) -> SeatService:
        if self._commands is None:
            raise PbxUnavailable("未连接交换机，暂时无法操作通话")
        return self._commands

    async def _follow(self, event: DomainEvent) -> None:
        if isinstance(event, TranscriptSegment):
            self._live.add(event)
        elif isinstance(event, CallEnded):  # its hold and third party ended with it (ChanSpy E)
            self._holds.pop(event.call_id, None)
            self._thirds.pop(event.call_id, None)
            self._muted = {(c, s) for c, s in self._muted if c != event.call_id}
        elif isinstance(event, ThirdPartyJoined):
            # One the console invited (already known), or one found after a restart: 移出第三方
            # then hangs up its ChannelId (the leg id's last part).
            self._thirds.setdefault(event.call_id, event.leg_id.removeprefix(f"{event.call_id}:"))
        elif isinstance(event, ThirdPartyLeft):
            # The third party is gone, whoever ended it (it hung up, 移出第三方): unless the seat
            # has invited another one since (the leg names the conference's ChannelId).
            conf_id = self._thirds.get(event.call_id)
            if conf_id is not None and event.leg_id == f"{event.call_id}:{conf_id}":
                del self._thirds[event.call_id]
        elif isinstance(event, SeatRinging) and event.channel:  # the seat's own leg, for a hang-up
            self._seat_legs[(event.call_id, event.seat_id)] = event.channel
            while len(self._seat_legs) > _LIVE_CALLS:
                self._seat_legs.popitem(last=False)
        elif isinstance(event, CallTransferred | CallLegEnded) and event.seat_id is not None:
            # The consultation is over: the transfer happened, or the seat's leg ended.
            self._consults.pop((event.call_id, event.seat_id), None)

    # --- seat state and commands ------------------------------------------------------------

    def _state(self, seat_id: SeatId) -> SeatState:
        try:
            return self._board.state(seat_id)
        except KeyError:
            raise NotFound("坐席不存在", seat_id=seat_id) from None

    def _external(self) -> tuple[Choice, ...]:
        return tuple(Choice(k, dialplan.EXTERNAL_NUMBERS.get(k, k)) for k in self._external_numbers())

    def _external_numbers(self) -> dict[str, str]:
        """Configured numbers (code -> extension), limited to those the dialplan renders."""
        return {k: v for k, v in self._transfer_numbers.items() if v in dialplan.EXTERNAL_NUMBERS}

    def _queue_choices(self, names: Sequence[str]) -> tuple[QueueChoice, ...]:
        return tuple(QueueChoice(q, self.queue_label(q)) for q in names)

    async def seat_state(self, seat_id: SeatId) -> SeatView:
        st = self._state(seat_id)
        queues = sorted(self._board.queues.get(seat_id, ()))
        seat = await offload(self._seats.get, seat_id)
        return SeatView(
            seat_id=seat_id,
            name=seat.name,
            status=st.status,
            since=st.since,
            now=self._clock.now(),
            pause_reason=st.pause_reason,
            queues=self._queue_choices(queues),
            call_id=st.call_id,
            wrap_up_seconds=self._wrap_up_seconds,
            wrap_up_until=self._after_call.ends_at(seat_id) if self._after_call is not None else None,
            pause_reasons=_choices(r for r in PauseReason if r.value not in SYSTEM_PAUSE_REASONS),
            categories=_choices(LegalCategory),
            outcomes=_choices(ConsultationOutcome),
            external_numbers=self._external(),
        )

    async def login(self, seat_id: SeatId) -> None:
        self._state(seat_id)
        await self.commands.login(seat_id)

    async def logout(self, seat_id: SeatId) -> None:
        self._state(seat_id)
        await self.commands.logout(seat_id)

    async def pause(self, seat_id: SeatId, reason: PauseReason) -> None:
        self._state(seat_id)
        await self.commands.pause(seat_id, reason)

    async def resume(self, seat_id: SeatId) -> None:
        self._state(seat_id)
        await self.commands.resume(seat_id)

    async def extend_wrap_up(self, seat_id: SeatId) -> WrapUpExtended:
        """One more step of wrap-up (the lawyer is still writing), within the supervisors' cap."""
        self._state(seat_id)
        if self._after_call is None or self._policies is None:
            raise PbxUnavailable("话后整理暂不能延长：未连接电话系统")
        policy = (await offload(self._policies.wrap_up)).policy
        return await self._after_call.extend(seat_id, policy)

    async def wrap_up_done(self, seat_id: SeatId) -> None:
        if self._state(seat_id).status is not SeatStatus.WRAP_UP:
            raise Conflict("当前不在话后整理中", seat_id=seat_id)
        if self._after_call is not None:
            await self._after_call.done(seat_id)  # resume the member in Asterisk too
        # The board stays the only writer of seat state: it moves the seat and we publish its fact.
        events = self._board.end_wrap_up(seat_id, self._clock.now())
        await self._bus.publish_all(list(events))

    # --- whose call is it ------------------------------------------------------------------

    async def _check_own(self, seat_id: SeatId, call_id: CallId) -> CallView | None:
        """A seat sees a call it is ringing for, talking on, wrapping up, or answered before.
        Returns the call's view (from memory, else from the database), if it is known yet."""
        st = self._state(seat_id)
        view = self._views.get(call_id) or await offload(self._stored_view, call_id)
        if st.call_id == call_id or (view is not None and view.handled_by(seat_id)):
            return view
        raise NotFound("通话不存在或不是您的通话", call_id=call_id)

    def _stored_view(self, call_id: CallId) -> CallView | None:
        """Blocking: the view of a call not in memory, from its row and its trail."""
        row = self._calls.find(call_id)
        return None if row is None else CallView.restored(row, self._calls.trail(call_id))

    # --- screen pop ------------------------------------------------------------------------

    def _office(self, office_id: str | None) -> OfficeCard | None:
        if not office_id:
            return None
        if self._offices is None:
            return OfficeCard(id=office_id, name=office_id)
        try:  # the registry routing uses, including admins' edits
            office = self._offices.registry.get(OfficeId(office_id))
        except NotFound:  # an office since removed from the registry: show the id only
            return OfficeCard(id=office_id, name=office_id)
        return copy_fields(OfficeCard, office, id=office_id, public_phone=office.phone)

    async def screen_pop(self, seat_id: SeatId, call_id: CallId) -> ScreenPop:
        view = await self._check_own(seat_id, call_id)
        mine = await offload(self._records.get, call_id, seat_id)
        if view is None:
            return ScreenPop(call_id=call_id, record=mine)
        call = view.record
        # A callback's citizen is named by its work order before the citizen's phone answers.
        order = await offload(self._callback_order, call.work_order_id) if call.work_order_id else None
        number = call.caller_number or (order.caller_number if order is not None else "")
        return ScreenPop(
            call_id=call_id,
            caller_number=number,
            dialed=call.dialed,
            offered_at=call.offered_at,
            status=view.status_for(seat_id),
            callback=call.direction == CallDirection.CALLBACK.value,
            work_order=_past_order(order) if order is not None else None,
            queue=call.queue,
            queue_label=self.queue_label(call.queue) if call.queue else "",
            ivr_path=view.ivr_path,
            ivr_why=view.notes.ivr_why,
            category=call.category,
            category_label=LegalCategory.label_of(call.category),
            district_code=call.district_code,
            district_name=self._districts.get(call.district_code, "") if call.district_code else "",
            address=view.notes.address,
            address_outcome=view.notes.address_outcome,
            address_note=view.notes.address_note,
            office=self._office(view.office_id),
            record=mine,
            file=await offload(self._caller_file, number, call_id),
        )

    async def call_topic(self, seat_id: SeatId, call_id: CallId) -> tuple[str | None, tuple[str, ...]]:
        """What one of the seat's calls is about, for the knowledge suggestions (知识库): its legal
        category's code and its IVR path's labels; `NotFound` for a call not the seat's."""
        view = await self._check_own(seat_id, call_id)
        if view is None:
            return None, ()
        return view.record.category, tuple(view.ivr_path)

    def _callback_order(self, order_id: str) -> CallerOrder | None:
        """Blocking: a callback's work order (None: gone from the table)."""
        try:
            return self._orders.get(WorkOrderId(order_id))
        except NotFound:
            return None

    def _caller_file(self, number: str, exclude: CallId) -> CallerFile:
        """Blocking: the caller's earlier calls, submitted records and work orders."""
        if sum(ch.isdigit() for ch in number) < _MIN_FILE_DIGITS:
            return CallerFile()
        names = {s.id: s.name for s in self._seats.all()}
        calls = [c for c in self._calls.recent(limit=21, caller_number=number) if c.id != exclude][:20]
        thirds: dict[CallId, list[str]] = {}
        for leg in self._calls.third_parties([c.id for c in calls]):
            thirds.setdefault(leg.call_id, []).append(_third_party_label(leg, names))
        return CallerFile(
            calls=tuple(
                PastCall(
                    at=c.offered_at,
                    category_label=LegalCategory.label_of(c.category),
                    seat=names.get(c.seat_id, c.seat_id) if c.seat_id else "",
                    status=c.status,
                    third_parties=tuple(thirds.get(c.id, ())),
                    call_id=c.id,
                )
                for c in calls
            ),
            records=tuple(
                PastRecord(
                    at=r.submitted_at or r.updated_at,
                    category_label=r.category.label if r.category else "",
                    question=r.question,
                    advice=r.advice,
                    outcome_label=r.outcome.label if r.outcome else "",
                    seat=names.get(r.seat_id, r.seat_id),
                )
                for r in self._records.for_caller(number)
            ),
            work_orders=tuple(_past_order(o) for o in self._orders.for_number(number)),
        )

    # --- transcript ------------------------------------------------------------------------

    async def transcript(self, seat_id: SeatId, call_id: CallId) -> list[TranscriptEntry]:
        await self._check_own(seat_id, call_id)
        merged: dict[tuple[str, int], TranscriptEntry] = {}
        for line in await offload(self._transcripts.for_call, call_id):
            merged[(line.leg, line.seq)] = _entry(line, line.leg, "")
        for seg in self._live.of(call_id):
            key = (seg.leg.value, seg.seq)
            if key in merged and merged[key].final and not seg.final:
                continue
            merged[key] = _entry(seg, seg.leg.value, seg.stream_id)
        live = [e for e in merged.values() if e.leg != Leg.MIXED.value]
        # The post-call transcript (录音转写, leg `mixed`) stands in for an empty live one: where the
        # live streams heard the call, their lines say who spoke, which the mixed recording cannot.
        if live:
            return sorted(live, key=lambda s: (s.at.isoformat(), s.seq))
        return sorted(merged.values(), key=lambda s: (s.start_s, s.seq))

    # --- consultation record ---------------------------------------------------------------

    async def save_record(
        self, seat_id: SeatId, call_id: CallId, data: RecordInput, *, final: bool
    ) -> ConsultationRecord:
        await self._check_own(seat_id, call_id)
        data = _unmasked(data, await offload(self._records.get, call_id, seat_id))
        fields = check_record(data, final=final)
        return await offload(self._records.save, call_id, seat_id, fields, self._clock.now(), final=final)

    async def unsubmitted(self, seat_id: SeatId) -> Sequence[UnsubmittedRecord]:
        """This seat's records not submitted yet (drafts), for it to reopen and finish."""
        return await offload(self._records.unsubmitted, seat_id)

    # --- transfer and hang-up ---------------------------------------------------------------

    async def transfer_targets(self, seat_id: SeatId) -> TransferTargets:
        st = self._state(seat_id)
        everyone = await offload(self._seats.all)
        seats = []
        for seat in everyone:
            if seat.id == seat_id or not seat.active:
                continue
            try:
                other = self._board.state(seat.id)
            except KeyError:
                continue
            seats.append(TargetSeat(id=seat.id, name=seat.name, status=other.status, expert=seat.expert))
        team = await offload(self._teams.get, st.team_id)
        rules = self._rules
        queues = [rules.city_queue_name(c) for c in LegalCategory]
        if team.district_code:
            queues = [rules.district_queue_name(team.district_code, c) for c in LegalCategory] + queues
        return TransferTargets(
            seats=tuple(seats),
            queues=self._queue_choices(queues),
            external=self._external(),
            any_expert=Choice(ANY_EXPERT, ANY_EXPERT_LABEL),
        )

    async def _live_call_channel(self, seat_id: SeatId, call_id: CallId) -> str:
        await self._check_own(seat_id, call_id)
        st = self._state(seat_id)
        if st.status is not SeatStatus.TALKING or st.call_id != call_id:
            raise Conflict("您当前不在该通话中", call_id=call_id)
        live = self._live_calls.call(call_id)
        if live is None or not live.channel:
            raise Conflict("通话已结束", call_id=call_id)
        return live.channel

    async def transfer(
        self, seat_id: SeatId, call_id: CallId, kind: TransferKind, target: str
    ) -> TransferSent:
        if kind not in CONSOLE_TRANSFERS:
            raise InvalidInput("转接类型无效", kind=kind.value)
        channel = await self._live_call_channel(seat_id, call_id)
        sent = await self._transfer_target(seat_id, kind, target.strip())
        await self._mark_transfer_from(channel, seat_id)
        await self.control.redirect(channel, context=sent.context, exten=sent.exten)
        return sent

    async def _transfer_target(self, seat_id: SeatId, kind: TransferKind, target: str) -> TransferSent:
        """Where a transfer of `kind` to `target` goes (context, extension, the seat picked); checked first."""
        if kind is TransferKind.EXTERNAL:
            numbers = self._external_numbers()
            if target not in numbers:
                raise InvalidInput("不支持转接到该号码", target=target)
            return TransferSent(
                kind=kind.value, target=target, context=self._transfer_context, exten=numbers[target]
            )
        if kind is TransferKind.QUEUE:
            if target not in self._rules.all_queues():
                raise InvalidInput("没有这个技能队列", target=target)
            return TransferSent(kind=kind.value, target=target, context=self._transfer_context, exten=target)
        return await self._seat_target(seat_id, target, "转接", self._seat_dial_context)

    async def _seat_target(self, seat_id: SeatId, target: str, what: str, context: str) -> TransferSent:
        """Another seat that is available now (`ANY_EXPERT`: the free expert seat picked), dialled
        in `context` by its endpoint's resource (PJSIP/1002 -> 1002)."""
        other = await (
            self._free_expert(seat_id)
            if target == ANY_EXPERT
            else self._available_seat(seat_id, target, what)
        )
        return TransferSent(
            kind=TransferKind.SEAT.value,
            target=other.id,
            context=context,
            exten=other.interface.split("/", 1)[-1].split("@", 1)[0],
            target_name=other.name,
        )

    async def _available_seat(self, seat_id: SeatId, target: str, what: str) -> Seat:
        if target == seat_id:
            raise InvalidInput(f"不能{what}给自己", target=target)
        try:
            other = await offload(self._seats.get, SeatId(target))
            other_state = self._board.state(other.id)
        except (NotFound, KeyError):
            raise InvalidInput("没有这个坐席", target=target) from None
        if other_state.status is not SeatStatus.AVAILABLE:
            raise Conflict(f"坐席{other.name}当前{other_state.status.label}，不能{what}", target=target)
        return other

    async def _free_expert(self, seat_id: SeatId) -> Seat:
        """任一空闲专家 (`seats.experts.free_expert`); `Conflict` when no expert seat is free."""
        expert = free_expert(await offload(self._seats.all), self._board.states, besides=seat_id)
        if expert is None:
            raise Conflict("当前没有空闲的专家坐席，请稍后再试或选择其他坐席", target=ANY_EXPERT)
        return expert

    async def _mark_transfer_from(self, channel: str, seat_id: SeatId) -> None:
        """HOTLINE_TRANSFER_FROM on the caller's channel before the Redirect: the transfer
        contexts re-set it, so the tracker sees who transferred. Losing this mark must not cost
        the caller the transfer: an Asterisk refusal is logged and the Redirect still goes out
        (an unreachable PBX fails the transfer as the Redirect would)."""
        try:
            await self.control.set_variable(channel, dialplan.VAR_TRANSFER_FROM, str(seat_id))
        except PbxActionFailed as exc:
            log.warning("Setvar %s on %s refused: %s", dialplan.VAR_TRANSFER_FROM, channel, exc.message)

    async def mute(self, seat_id: SeatId, call_id: CallId, *, on: bool) -> None:
        """The seat's microphone muted (or not) for the caller: res_mutestream on what the seat's
        own leg sends to the PBX; the seat still hears the caller."""
        _caller, leg = await self._seat_leg(seat_id, call_id, "静音", callback=True)
        await self.control.mute_audio(leg, direction="in", on=on)
        if on:
            self._muted.add((call_id, seat_id))
        else:
            self._muted.discard((call_id, seat_id))

    # --- hold and three-way call --------------------------------------------------------------
    # Both leave the queue's bridge (caller <-> seat's leg) as it is, so app_queue, the queue log,
    # the CDR and the tracker see one ordinary call; each adds a Local channel the console
    # Originates with a ChannelId of its own, and an AMI Hangup of that id ends it
    # (extensions.conf [hotline-hold] / [hotline-conference]).

    async def _seat_leg(
        self, seat_id: SeatId, call_id: CallId, what: str, *, callback: bool = False
    ) -> tuple[str, str]:
        """(the caller's channel, the seat's own leg as its SeatRinging named it) of a live call of
        this seat; with `callback`, a callback's channel too, which is the seat's own phone (the
        Originate's). `Conflict` saying the seat cannot `what` when there is no such leg."""
        channel = await self._live_call_channel(seat_id, call_id)
        leg = self._seat_legs.get((call_id, seat_id))
        if leg is None and callback:
            view = self._views.get(call_id)
            if view is not None and view.record.direction == CallDirection.CALLBACK.value:
                leg = channel
        if leg is None:
            raise Conflict(f"未找到您的话路，暂时无法{what}", call_id=call_id)
        return channel, leg

    async def _inbound_legs(self, seat_id: SeatId, call_id: CallId, what: str) -> tuple[str, str]:
        """(the caller's channel, the seat's own leg) of a live inbound call of this seat."""
        channel, leg = await self._seat_leg(seat_id, call_id, what)
        if leg == channel:
            raise Conflict(f"未找到您的话路，暂时无法{what}", call_id=call_id)
        return channel, leg

    async def hold(self, seat_id: SeatId, call_id: CallId, *, on: bool) -> None:
        """保持: the caller gets hold music (ChanSpy whisper of [hotline-hold]'s MusicOnHold) and neither side hears
        the other; 恢复 ends the music and lets both be heard again.

        Neither side is muted with MuteAudio: res_mutestream drops the muted leg's frames, and the
        whisper only rides on frames the bridge writes to the caller. func_volume's VOLUME(RX) at
        -32768 divides every sample to 0 instead: silent frames keep flowing and carry the music.
        A seat muted by 静音 is unmuted for the hold (its frames carry the music) and muted again
        on 恢复."""
        channel, leg = await self._inbound_legs(seat_id, call_id, "保持")
        muted = (call_id, seat_id) in self._muted
        if not on:
            hold_id = self._holds.pop(call_id, None)
            if hold_id is None:
                raise Conflict("通话未处于保持状态", call_id=call_id)
            await end_local(self.control, hold_id)
            for side in (leg, channel):
                await self.control.set_variable(side, _VOLUME_RX, "0")
            if muted:
                await self.control.mute_audio(leg, direction="in", on=True)
            return
        if call_id in self._holds:
            raise Conflict("通话已处于保持状态", call_id=call_id)
        if call_id in self._thirds:
            raise Conflict("三方通话中不能保持，请先移出第三方", call_id=call_id)
        hold_id = _local_id(dialplan.HOLD_PREFIX)
        await spy_from_local(self.control, dialplan.HOLD, hold_id, f"{channel},qwE")
        self._holds[call_id] = hold_id
        for side in (leg, channel):  # the caller hears only the music, the seat nothing
            await self.control.set_variable(side, _VOLUME_RX, _SILENT_GAIN)
        if muted:
            await self.control.mute_audio(leg, direction="in", on=False)

    def held(self, call_id: CallId) -> bool:
        return call_id in self._holds

    async def conference(
        self, seat_id: SeatId, call_id: CallId, kind: TransferKind, target: str
    ) -> TransferSent:
        """三方通话: ring the third party (another seat, an expert seat or the free one picked,
        or 12345 / 12368 / 12309 by the trunk); once it answers it barges into the seat's leg and
        the caller (ChanSpy B). Returns what was dialled (`exten` in `dialplan.CONFERENCE`)."""
        _caller, leg = await self._inbound_legs(seat_id, call_id, "发起三方通话")
        target = target.strip()
        if kind is TransferKind.EXTERNAL:
            numbers = self._external_numbers()
            if target not in numbers:
                raise InvalidInput("不支持邀请该号码", target=target)
            sent = TransferSent(
                kind=kind.value, target=target, context=dialplan.CONFERENCE, exten=numbers[target]
            )
        elif kind is TransferKind.SEAT:
            sent = await self._seat_target(seat_id, target, "邀请", dialplan.CONFERENCE)
        else:
            raise InvalidInput("三方通话只能邀请坐席或外部热线", kind=kind.value)
        if call_id in self._holds:
            raise Conflict("请先恢复通话，再发起三方通话", call_id=call_id)
        if call_id in self._thirds:
            raise Conflict("已有第三方在通话中，请先移出", call_id=call_id)
        conf_id = _local_id(dialplan.CONFERENCE_PREFIX)
        await spy_from_local(
            self.control,
            dialplan.CONFERENCE,
            conf_id,
            f"{leg},qBE",
            variables={dialplan.VAR_THIRD: sent.exten, dialplan.VAR_CALL: call_id},
            timeout_ms=_THIRD_RING_MS,
        )
        self._thirds[call_id] = conf_id
        return sent

    async def drop_third_party(self, seat_id: SeatId, call_id: CallId) -> None:
        """移出第三方: hang up the third party's Local channel (gone already: nothing to do)."""
        await self._live_call_channel(seat_id, call_id)
        conf_id = self._thirds.pop(call_id, None)
        if conf_id is None:
            raise Conflict("当前没有第三方", call_id=call_id)
        await end_local(self.control, conf_id)

    def third_party(self, call_id: CallId) -> bool:
        return call_id in self._thirds

    # --- attended transfer (咨询转接) --------------------------------------------------------

    async def _consult_leg(self, seat_id: SeatId, call_id: CallId) -> str:
        _caller, leg = await self._seat_leg(seat_id, call_id, "咨询转接")
        return leg

    async def consult(
        self, seat_id: SeatId, call_id: CallId, kind: TransferKind, target: str
    ) -> TransferSent:
        """咨询转接: the seat talks to another seat (an expert seat, or the free one picked) or an outside line first
        while the caller hears hold audio (AMI Atxfer on the seat's own leg, dialled from
        `core.dialplan.CONSULT`); then `complete_consult` or `cancel_consult`."""
        if kind not in CONSULT_TRANSFERS:
            raise InvalidInput("咨询转接只能转给坐席或外线号码", kind=kind.value)
        leg = await self._consult_leg(seat_id, call_id)
        if (call_id, seat_id) in self._consults:
            raise Conflict("正在咨询中，请先完成或取消当前咨询", call_id=call_id)
        sent = replace(await self._transfer_target(seat_id, kind, target.strip()), context=dialplan.CONSULT)
        await self.control.attended_transfer(leg, exten=sent.exten, context=sent.context)
        self._consults[(call_id, seat_id)] = sent.exten
        return sent

    async def _consulting_leg(self, seat_id: SeatId, call_id: CallId) -> str:
        leg = await self._consult_leg(seat_id, call_id)
        if (call_id, seat_id) not in self._consults:
            raise Conflict("当前没有进行中的咨询", call_id=call_id)
        return leg

    async def complete_consult(self, seat_id: SeatId, call_id: CallId) -> None:
        """完成转接: the seat leaves (its leg hangs up, as a phone's transferer hanging up), and
        Asterisk joins the caller with the consulted party."""
        leg = await self._consulting_leg(seat_id, call_id)
        await self.control.hangup(leg)
        self._consults.pop((call_id, seat_id), None)

    async def cancel_consult(self, seat_id: SeatId, call_id: CallId) -> None:
        """取消转接: the consulted party is dropped (AMI CancelAtxfer), the seat is back with the caller."""
        leg = await self._consulting_leg(seat_id, call_id)
        await self.control.cancel_attended_transfer(leg)
        self._consults.pop((call_id, seat_id), None)

    async def hangup(self, seat_id: SeatId, call_id: CallId) -> None:
        caller_channel = await self._live_call_channel(seat_id, call_id)
        # Hang up the seat's own leg when we know it: the caller then goes on to the survey
        # (extensions.conf, [hotline-queue] option c). Otherwise end the caller's channel.
        channel = self._seat_legs.get((call_id, seat_id)) or caller_channel
        self._holds.pop(call_id, None)  # the hold and the third party end with the seat's leg
        self._thirds.pop(call_id, None)
        self._muted.discard((call_id, seat_id))
        await self.control.hangup(channel)

    # --- address lookup ---------------------------------------------------------------------

    async def address_candidates(self, text: str) -> list[AddressChoice]:
        if self._offices is None:
            raise BackendUnavailable("地址路由尚未就绪")
        found = await offload(self._offices.lookup, text.strip())  # the pinyin index: CPU-bound
        return [
            copy_fields(
                AddressChoice,
                c,
                district_name=self._districts.get(c.district_code, ""),
                confidence=round(c.confidence, 3),
            )
            for c in found
        ]


def _entry(said: TranscriptLine | TranscriptSegment, leg: str, stream_id: str) -> TranscriptEntry:
    """One line of the transcript, from the store (`TranscriptLine`) or the bus (`TranscriptSegment`)."""
    return copy_fields(TranscriptEntry, said, leg=leg, leg_label=leg_label(leg), stream_id=stream_id)


def _third_party_label(leg: CallLeg, names: Mapping[SeatId, str]) -> str:
    """`王律师（1002），通话23秒` / `12345 政务服务便民热线，通话8秒`: a three-way call's third party."""
    if leg.seat_id is not None:
        who = f"{names.get(leg.seat_id, leg.seat_id)}（{leg.seat_id}）"
    else:
        who = dialplan.EXTERNAL_NUMBERS.get(leg.party, leg.party)
    if leg.talk_seconds is None:
        return who if leg.ended_at is not None else f"{who}，通话中"
    return f"{who}，通话{round(leg.talk_seconds)}秒"


def _unmasked(data: RecordInput, stored: ConsultationRecord | None) -> RecordInput:
    """The console shows the record masked; saving it again must keep the stored numbers."""
    if stored is None:
        return data
    return replace(
        data,
        question=None if data.question is None else restore_masked(data.question, stored.question),
        advice=None if data.advice is None else restore_masked(data.advice, stored.advice),
    )


def _past_order(o: CallerOrder) -> PastOrder:
    return PastOrder(
        id=o.id,
        order_no=o.order_no,
        open=o.status.is_open,
        status_label=o.status.label,
        reason_label=o.reason.label,
        created_at=o.created_at,
        deadline=o.deadline,
        attempts=o.attempts,
    )
