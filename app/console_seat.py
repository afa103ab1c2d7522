"""`SeatConsole`: the seat workspace backend (`console_web.seat_api.SeatConsoleBackend`) over a
running `Runtime`.

Reads come from the live state (the tracker's calls, the seat board) and the store (the call row,
its trail, transcripts, consultation records, work orders). Commands go to Asterisk through the
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

Must be constructed inside the running event loop (it subscribes to the bus): in the lifespan,
after `runtime.start()`.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from app.runtime import Runtime
from app.seed import DISTRICTS
from console_web.seat_api import TransferKind
from core import dialplan
from core.asr_events import Leg, TranscriptSegment
from core.call_events import CallAnswered, SeatRinging
from core.errors import (
    BackendUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    PbxActionFailed,
    PbxUnavailable,
)
from core.events import DomainEvent
from core.ids import CallId, OfficeId, SeatId
from core.ivr_events import AppointmentRequested, IvrRouted
from core.ports import CallControl
from core.privacy import mask_number, restore_masked
from core.seat_events import SYSTEM_PAUSE_REASONS, PauseReason, SeatStatus
from routing.queues import LegalCategory
from seats.board import SeatBoard
from seats.records import ConsultationOutcome, ConsultationRecord, RecordInput, check_record
from seats.service import SeatService
from store.consultations import ConsultationRepository

log = logging.getLogger(__name__)

Json = dict[str, Any]

TRANSFER_CONTEXT = dialplan.TRANSFER
SEAT_DIAL_CONTEXT = dialplan.SEAT_TRANSFER

EXTERNAL_LABELS = dialplan.EXTERNAL_NUMBERS
"""Only these numbers leave the hotline (the rendered dialplan has an extension for each)."""

LEG_LABELS = {leg.value: leg.label for leg in Leg}

_LIVE_CALLS = 200  # transcripts kept in memory for this many recent calls
_LIVE_SEGMENTS = 2000  # per call
_MIN_FILE_DIGITS = 5  # hidden or short numbers get no caller file: they would match strangers


def _category_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        return LegalCategory.parse(code).label
    except InvalidInput:
        return code


def queue_label(name: str) -> str:
    """q-310106-labor -> 静安区·劳动争议; q-city-labor -> 全市·劳动争议; q-afterhours -> 非工作时间."""
    if name == "q-afterhours":
        return "非工作时间坐席"
    parts = name.split("-", 2)
    if len(parts) == 3 and parts[0] == "q":
        where = "全市" if parts[1] == "city" else DISTRICTS.get(parts[1], parts[1])
        return f"{where}·{_category_label(parts[2])}"
    return name


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class SeatConsole:
    def __init__(
        self,
        runtime: Runtime,
        *,
        control: CallControl | None = None,
        transfer_context: str = TRANSFER_CONTEXT,
        seat_dial_context: str = SEAT_DIAL_CONTEXT,
    ) -> None:
        self._rt = runtime
        self._control = control
        self._own_service: SeatService | None = None
        self._transfer_context = transfer_context
        self._seat_dial_context = seat_dial_context
        self.records = ConsultationRepository(runtime.repos.db)
        self._live: OrderedDict[CallId, dict[tuple[str, str, int], TranscriptSegment]] = OrderedDict()
        self._seat_legs: OrderedDict[tuple[CallId, SeatId], str] = OrderedDict()
        runtime.bus.subscribe(
            "seat-console", self._follow, types=(TranscriptSegment, SeatRinging, CallAnswered)
        )

    # --- collaborators ---------------------------------------------------------------------

    @property
    def control(self) -> CallControl:
        control = self._control or self._rt.control
        if control is None:
            raise PbxUnavailable("未连接交换机，暂时无法操作通话")
        return control

    @property
    def board(self) -> SeatBoard:
        if self._rt.board is None:
            raise BackendUnavailable("坐席状态尚未就绪")
        return self._rt.board

    @property
    def seat_service(self) -> SeatService:
        if self._control is None and self._rt.seat_service is not None:
            return self._rt.seat_service
        if self._own_service is None:
            self._own_service = SeatService(
                self.control, self._rt.repos.seats, self._rt.repos.teams, self._rt.rules, self.board
            )
        return self._own_service

    async def _follow(self, event: DomainEvent) -> None:
        if isinstance(event, TranscriptSegment):
            buf = self._live.setdefault(event.call_id, {})
            self._live.move_to_end(event.call_id)
            key = (event.leg.value, event.stream_id, event.seq)
            old = buf.get(key)
            if (old is None or not old.final) and (old is not None or len(buf) < _LIVE_SEGMENTS):
                buf[key] = event
            while len(self._live) > _LIVE_CALLS:
                self._live.popitem(last=False)
        elif isinstance(event, SeatRinging | CallAnswered):
            channel = event.channel if isinstance(event, SeatRinging) else ""  # CallAnswered has none
            if channel:
                self._seat_legs[(event.call_id, event.seat_id)] = channel
                while len(self._seat_legs) > _LIVE_CALLS:
                    self._seat_legs.popitem(last=False)

    # --- seat state and commands ------------------------------------------------------------

    def _state(self, seat_id: SeatId) -> Any:
        try:
            return self.board.state(seat_id)
        except KeyError:
            raise NotFound("坐席不存在", seat_id=seat_id) from None

    def seat_state(self, seat_id: SeatId) -> Json:
        st = self._state(seat_id)
        seat = self._rt.repos.seats.get(seat_id)
        numbers = self._external_numbers()
        return {
            "seat_id": seat_id,
            "name": seat.name,
            "status": st.status.value,
            "status_label": st.status.label,
            "since": _iso(st.since),
            "now": self._rt.clock.now().isoformat(),
            "pause_reason": st.pause_reason.value if st.pause_reason else None,
            "pause_label": st.pause_reason.label if st.pause_reason else None,
            "queues": [
                {"name": q, "label": queue_label(q)} for q in sorted(self.board.queues.get(seat_id, ()))
            ],
            "call_id": st.call_id,
            "wrap_up_seconds": self._rt.settings.seats.wrap_up_s,
            "pause_reasons": [
                {"code": r.value, "label": r.label}
                for r in PauseReason
                if r.value not in SYSTEM_PAUSE_REASONS
            ],
            "categories": [{"code": c.value, "label": c.label} for c in LegalCategory],
            "outcomes": [{"code": o.value, "label": o.label} for o in ConsultationOutcome],
            "external_numbers": [{"code": k, "label": EXTERNAL_LABELS.get(k, k)} for k in numbers],
        }

    async def login(self, seat_id: SeatId) -> None:
        self._state(seat_id)
        await self.seat_service.login(seat_id)

    async def logout(self, seat_id: SeatId) -> None:
        self._state(seat_id)
        await self.seat_service.logout(seat_id)

    async def pause(self, seat_id: SeatId, reason: PauseReason) -> None:
        self._state(seat_id)
        await self.seat_service.pause(seat_id, reason)

    async def resume(self, seat_id: SeatId) -> None:
        self._state(seat_id)
        await self.seat_service.resume(seat_id)

    async def wrap_up_done(self, seat_id: SeatId) -> None:
        if self._state(seat_id).status is not SeatStatus.WRAP_UP:
            raise Conflict("当前不在话后整理中", seat_id=seat_id)
        if self._rt.after_call is not None:
            await self._rt.after_call.done(seat_id)  # resume the member in Asterisk too
        # The board stays the only writer of seat state: it moves the seat and we publish its fact.
        events = self.board.end_wrap_up(seat_id, self._rt.clock.now())
        await self._rt.bus.publish_all(list(events))

    # --- whose call is it ------------------------------------------------------------------

    def _check_own(self, seat_id: SeatId, call_id: CallId) -> None:
        """A seat sees a call it is ringing for, talking on, wrapping up, or answered before."""
        st = self._state(seat_id)
        if st.call_id == call_id:
            return
        live = self._rt.tracker.calls.get(call_id)
        if live is not None and live.seat_id == seat_id:
            return
        row = self._rt.repos.calls.find(call_id)
        if row is not None and row.seat_id == seat_id:
            return
        raise NotFound("通话不存在或不是您的通话", call_id=call_id)

    def _caller_number(self, call_id: CallId) -> str:
        live = self._rt.tracker.calls.get(call_id)
        if live is not None:
            return live.caller_number
        row = self._rt.repos.calls.find(call_id)
        return row.caller_number if row is not None else ""

    # --- screen pop ------------------------------------------------------------------------

    def _office(self, office_id: str | None) -> Json | None:
        if not office_id:
            return None
        out: Json = {"id": office_id, "name": office_id, "address": "", "opening_hours": ""}
        if self._rt.routing is not None:  # the registry routing uses, including admins' edits
            try:
                office = self._rt.routing.lookup.registry.get(OfficeId(office_id))
            except NotFound:  # an office since removed from the registry: show the id only
                return out
            out.update(name=office.name, address=office.address, opening_hours=office.opening_hours)
        return out

    def screen_pop(self, seat_id: SeatId, call_id: CallId) -> Json:
        self._check_own(seat_id, call_id)
        live = self._rt.tracker.calls.get(call_id)
        row = self._rt.repos.calls.find(call_id)
        number = live.caller_number if live else (row.caller_number if row else "")
        ivr: IvrRouted | None = None
        appointment: AppointmentRequested | None = None
        for entry in self._rt.repos.calls.trail(call_id):
            event = entry.event()
            if isinstance(event, IvrRouted):
                ivr = event
            elif isinstance(event, AppointmentRequested):
                appointment = event
        category = (row.category if row else None) or (ivr.category if ivr else None)
        district = (row.district_code if row else None) or (ivr.district_code if ivr else None)
        office_id = (
            (row.office_id if row else None)
            or (ivr.office_id if ivr else None)
            or (appointment.office_id if appointment else None)
        )
        status = live.status if live else (row.status if row else None)
        queue = (live.queue if live else None) or (row.queue if row else None) or (ivr.queue if ivr else None)
        offered = live.offered_at if live else (row.offered_at if row else None)
        mine = self.records.get(call_id, seat_id)
        return {
            "call_id": call_id,
            "caller": mask_number(number),
            "dialed": live.dialed if live else (row.dialed if row else ""),
            "offered_at": _iso(offered),
            "status": status.value if status else None,
            "status_label": status.label if status else "",
            "queue": queue,
            "queue_label": queue_label(queue) if queue else "",
            "ivr_path": list((ivr.path_labels if ivr else ()) or (row.ivr_path if row else ())),
            "ivr_why": ivr.why if ivr else "",
            "category": category,
            "category_label": _category_label(category),
            "district_code": district,
            "district_name": DISTRICTS.get(district, "") if district else "",
            "address": appointment.spoken_address if appointment else "",
            "office": self._office(office_id),
            "record": self._record_json(mine) if mine else None,
            "file": self._caller_file(number, exclude=call_id),
        }

    def _caller_file(self, number: str, *, exclude: CallId) -> Json:
        if sum(ch.isdigit() for ch in number) < _MIN_FILE_DIGITS:
            return {"known": False, "calls": [], "records": [], "work_orders": []}
        repos = self._rt.repos
        names = {s.id: s.name for s in repos.seats.all()}
        calls = [c for c in repos.calls.recent(limit=21, caller_number=number) if c.id != exclude][:20]
        records = self.records.for_caller(number)
        orders = self._rt.repos.work_orders.for_number(number)
        return {
            "known": bool(calls or records or orders),
            "calls": [
                {
                    "at": c.offered_at.isoformat(),
                    "category_label": _category_label(c.category),
                    "seat": names.get(c.seat_id, c.seat_id) if c.seat_id else "",
                    "status_label": c.status.label,
                }
                for c in calls
            ],
            "records": [
                {
                    "at": _iso(r.submitted_at or r.updated_at),
                    "category_label": r.category.label if r.category else "",
                    "question": r.question,
                    "advice": r.advice,
                    "outcome_label": r.outcome.label if r.outcome else "",
                    "seat": names.get(r.seat_id, r.seat_id),
                }
                for r in records
            ],
            "work_orders": [
                {
                    "id": o.id,
                    "open": o.status.is_open,
                    "status_label": o.status.label,
                    "reason_label": o.reason.label,
                    "created_at": o.created_at.isoformat(),
                    "deadline": o.deadline.isoformat(),
                    "attempts": o.attempts,
                }
                for o in orders
            ],
        }

    # --- transcript ------------------------------------------------------------------------

    def transcript(self, seat_id: SeatId, call_id: CallId) -> list[Json]:
        self._check_own(seat_id, call_id)
        merged: dict[tuple[str, int], Json] = {}
        for line in self._rt.repos.transcripts.for_call(call_id):
            merged[(line.leg, line.seq)] = {
                "leg": line.leg,
                "stream_id": "",
                "seq": line.seq,
                "text": line.text,
                "final": line.final,
                "start_s": line.start_s,
                "end_s": line.end_s,
                "at": line.at.isoformat(),
            }
        for seg in list(self._live.get(call_id, {}).values()):
            key = (seg.leg.value, seg.seq)
            if key in merged and merged[key]["final"] and not seg.final:
                continue
            merged[key] = {
                "leg": seg.leg.value,
                "stream_id": seg.stream_id,
                "seq": seg.seq,
                "text": seg.text,
                "final": seg.final,
                "start_s": seg.start_s,
                "end_s": seg.end_s,
                "at": seg.at.isoformat(),
            }
        out = sorted(merged.values(), key=lambda s: (s["at"], s["seq"]))
        for s in out:
            s["leg_label"] = LEG_LABELS.get(s["leg"], s["leg"])
        return out

    # --- consultation record ---------------------------------------------------------------

    @staticmethod
    def _record_json(r: ConsultationRecord) -> Json:
        return {
            "id": r.id,
            "call_id": r.call_id,
            "seat_id": r.seat_id,
            "category": r.category.value if r.category else None,
            "question": r.question,
            "advice": r.advice,
            "outcome": r.outcome.value if r.outcome else None,
            "office_id": r.office_id,
            "draft": r.draft,
            "created_at": r.created_at.isoformat(),
            "updated_at": r.updated_at.isoformat(),
            "submitted_at": _iso(r.submitted_at),
        }

    def save_record(self, seat_id: SeatId, call_id: CallId, data: RecordInput, *, final: bool) -> Json:
        self._check_own(seat_id, call_id)
        data = self._unmasked(data, self.records.get(call_id, seat_id))
        fields = check_record(data, final=final)
        record = self.records.save(call_id, seat_id, fields, self._rt.clock.now(), final=final)
        return self._record_json(record)

    @staticmethod
    def _unmasked(data: RecordInput, stored: ConsultationRecord | None) -> RecordInput:
        """The console shows the record masked; saving it again must keep the stored numbers."""
        if stored is None:
            return data
        return replace(
            data,
            question=None if data.question is None else restore_masked(data.question, stored.question),
            advice=None if data.advice is None else restore_masked(data.advice, stored.advice),
        )

    # --- transfer and hang-up ---------------------------------------------------------------

    def transfer_targets(self, seat_id: SeatId) -> Json:
        st = self._state(seat_id)
        seats = []
        for seat in self._rt.repos.seats.all():
            if seat.id == seat_id or not seat.active:
                continue
            try:
                other = self.board.state(seat.id)
            except KeyError:
                continue
            seats.append(
                {
                    "id": seat.id,
                    "name": seat.name,
                    "status": other.status.value,
                    "status_label": other.status.label,
                    "available": other.status is SeatStatus.AVAILABLE,
                }
            )
        team = self._rt.repos.teams.get(st.team_id)
        rules = self._rt.rules
        queues = [rules.city_queue_name(c) for c in LegalCategory]
        if team.district_code:
            queues = [rules.district_queue_name(team.district_code, c) for c in LegalCategory] + queues
        numbers = self._external_numbers()
        return {
            "seats": seats,
            "queues": [{"name": q, "label": queue_label(q)} for q in queues],
            "external": [{"code": k, "label": EXTERNAL_LABELS.get(k, k)} for k in numbers],
        }

    def _live_call_channel(self, seat_id: SeatId, call_id: CallId) -> str:
        self._check_own(seat_id, call_id)
        st = self._state(seat_id)
        if st.status is not SeatStatus.TALKING or st.call_id != call_id:
            raise Conflict("您当前不在该通话中", call_id=call_id)
        live = self._rt.tracker.calls.get(call_id)
        if live is None or not live.channel:
            raise Conflict("通话已结束", call_id=call_id)
        return live.channel

    async def transfer(self, seat_id: SeatId, call_id: CallId, kind: TransferKind, target: str) -> Json:
        channel = self._live_call_channel(seat_id, call_id)
        target = target.strip()
        if kind is TransferKind.EXTERNAL:
            numbers = self._external_numbers()
            if target not in numbers:
                raise InvalidInput("不支持转接到该号码", target=target)
            context, exten = self._transfer_context, numbers[target]
        elif kind is TransferKind.QUEUE:
            if target not in self._rt.rules.all_queues():
                raise InvalidInput("没有这个技能队列", target=target)
            context, exten = self._transfer_context, target
        else:
            if target == seat_id:
                raise InvalidInput("不能转接给自己", target=target)
            try:
                other = self._rt.repos.seats.get(SeatId(target))
                other_state = self.board.state(other.id)
            except (NotFound, KeyError):
                raise InvalidInput("没有这个坐席", target=target) from None
            if other_state.status is not SeatStatus.AVAILABLE:
                raise Conflict(f"坐席{other.name}当前{other_state.status.label}，不能转接", target=target)
            context = self._seat_dial_context
            exten = other.interface.split("/", 1)[-1].split("@", 1)[0]
        await self._mark_transfer_from(channel, seat_id)
        await self.control.redirect(channel, context=context, exten=exten)
        return {"ok": True, "kind": kind.value, "target": target, "context": context, "exten": exten}

    def _external_numbers(self) -> dict[str, str]:
        """Configured numbers (code -> extension), limited to those the dialplan renders."""
        numbers = self._rt.settings.web.transfer_numbers
        return {k: v for k, v in numbers.items() if v in dialplan.EXTERNAL_NUMBERS}

    async def _mark_transfer_from(self, channel: str, seat_id: SeatId) -> None:
        """HOTLINE_TRANSFER_FROM on the caller's channel before the Redirect: the transfer
        contexts re-set it, so the tracker sees who transferred. Losing this mark must not cost
        the caller the transfer: an Asterisk refusal is logged and the Redirect still goes out
        (an unreachable PBX fails the transfer as the Redirect would)."""
        try:
            await self.control.set_variable(channel, dialplan.VAR_TRANSFER_FROM, str(seat_id))
        except PbxActionFailed as exc:
            log.warning("Setvar %s on %s refused: %s", dialplan.VAR_TRANSFER_FROM, channel, exc.message)

    async def hangup(self, seat_id: SeatId, call_id: CallId) -> None:
        caller_channel = self._live_call_channel(seat_id, call_id)
        # Hang up the seat's own leg when we know it: the caller then goes on to the survey
        # (extensions.conf, [hotline-queue] option c). Otherwise end the caller's channel.
        channel = self._seat_legs.get((call_id, seat_id)) or caller_channel
        await self.control.hangup(channel)

    # --- address lookup ---------------------------------------------------------------------

    def address_candidates(self, text: str) -> list[Json]:
        if self._rt.routing is None:
            raise BackendUnavailable("地址路由尚未就绪")
        return [
            {
                "office_id": c.office_id,
                "office_name": c.office_name,
                "office_address": c.office_address,
                "opening_hours": c.opening_hours,
                "district_code": c.district_code,
                "district_name": DISTRICTS.get(c.district_code, ""),
                "confidence": round(c.confidence, 3),
                "reason": c.reason,
            }
            for c in self._rt.routing.lookup.lookup(text.strip())
        ]
