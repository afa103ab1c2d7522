"""Repositories: rows in, domain dataclasses out.

Each repository holds a `Database` and opens one short transaction per call, so callers never see
SQLAlchemy. Writes that may be repeated (a replayed AMI stream, a restarted recorder) are
idempotent by design: the trail is keyed by event id, transcripts by (call, leg, seq), survey
answers by call, and missed calls by call id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callbacks.models import (
    OPEN_STATUSES,
    MissedCall,
    MissReason,
    WorkOrder,
    WorkOrderStatus,
    order_number,
)
from core.access import Role
from core.audit import AuditEntry
from core.calls import CallLeg, CallRecord, CallStatus, CallTrailEntry, TranscriptLine
from core.clock import CHINA_TZ
from core.errors import Conflict, NotFound
from core.ids import CallId, EventId, SeatId, TeamId, UserId, WorkOrderId
from seats.models import LoginSession, Seat, SeatKind, Team, TeamKind, User
from stats.models import Satisfaction, SurveyAnswer
from store.db import Database
from store.models import (
    AuditRow,
    CallEventRow,
    CallLegRow,
    CallRow,
    OfficeRow,
    SeatRow,
    SessionRow,
    SurveyAnswerRow,
    TeamRow,
    TranscriptRow,
    UserRow,
    WorkOrderCallRow,
    WorkOrderDayRow,
    WorkOrderRow,
)
from store.voicemails import VoicemailRepository


class _Repo:
    def __init__(self, db: Database) -> None:
        self._db = db


# --- calls and their trail -------------------------------------------------------------------


def _call_from_row(row: CallRow) -> CallRecord:
    return CallRecord(
        id=CallId(row.id),
        caller_number=row.caller_number,
        dialed=row.dialed,
        channel=row.channel,
        status=CallStatus(row.status),
        district_code=row.district_code,
        category=row.category,
        queue=row.queue,
        office_id=row.office_id,
        seat_id=SeatId(row.seat_id) if row.seat_id else None,
        ivr_path=tuple(row.ivr_path or ()),
        offered_at=row.offered_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        wait_seconds=row.wait_seconds,
        talk_seconds=row.talk_seconds,
        hung_up_by=row.hung_up_by,
        direction=row.direction or "inbound",
        work_order_id=row.work_order_id,
        final_seat_id=SeatId(row.final_seat_id) if row.final_seat_id else None,
        transfer_status=row.transfer_status,
        transfers=tuple(row.transfers or ()),
        customer_outcome=row.customer_outcome,
    )


def _call_values(call: CallRecord) -> dict[str, Any]:
    return {
        "caller_number": call.caller_number,
        "dialed": call.dialed,
        "channel": call.channel,
        "status": call.status.value,
        "district_code": call.district_code,
        "category": call.category,
        "queue": call.queue,
        "office_id": call.office_id,
        "seat_id": call.seat_id,
        "ivr_path": list(call.ivr_path),
        "offered_at": call.offered_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
        "hung_up_by": call.hung_up_by,
        "direction": call.direction,
        "work_order_id": call.work_order_id,
        "final_seat_id": call.final_seat_id,
        "transfer_status": call.transfer_status,
        "transfers": [dict(t) for t in call.transfers],
        "customer_outcome": call.customer_outcome,
    }


def _leg_from_row(row: CallLegRow) -> CallLeg:
    return CallLeg(
        call_id=CallId(row.call_id),
        leg_id=row.leg_id,
        kind=row.kind,
        party=row.party,
        seat_id=SeatId(row.seat_id) if row.seat_id else None,
        channel=row.channel,
        queue=row.queue,
        transfer_seq=row.transfer_seq,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        talk_seconds=row.talk_seconds,
        inferred=row.inferred,
    )


class CallRepository(_Repo):
    def save(self, call: CallRecord) -> None:
        """Insert or replace the call's summary row."""
        with self._db.session() as s:
            row = s.get(CallRow, call.id)
            if row is None:
                s.add(CallRow(id=call.id, **_call_values(call)))
            else:
                for key, value in _call_values(call).items():
                    setattr(row, key, value)

    def get(self, call_id: CallId) -> CallRecord:
        with self._db.session() as s:
            row = s.get(CallRow, call_id)
            if row is None:
                raise NotFound("通话不存在", call_id=call_id)
            return _call_from_row(row)

    def find(self, call_id: CallId) -> CallRecord | None:
        with self._db.session() as s:
            row = s.get(CallRow, call_id)
            return _call_from_row(row) if row else None

    def recent(self, *, limit: int = 50, caller_number: str | None = None) -> list[CallRecord]:
        with self._db.session() as s:
            q = select(CallRow).order_by(CallRow.offered_at.desc()).limit(limit)
            if caller_number is not None:
                q = q.where(CallRow.caller_number == caller_number)
            return [_call_from_row(r) for r in s.scalars(q)]

    def between(
        self, start: datetime, end: datetime, *, direction: str | None = "inbound"
    ) -> list[CallRecord]:
        """Calls offered in [start, end). Citizens' calls only by default: the KPIs and reports read
        this, and a callback is the hotline calling out (`direction=None`: every call)."""
        with self._db.session() as s:
            q = (
                select(CallRow)
                .where(CallRow.offered_at >= start, CallRow.offered_at < end)
                .order_by(CallRow.offered_at)
            )
            if direction is not None:
                q = q.where(CallRow.direction == direction)
            return [_call_from_row(r) for r in s.scalars(q)]

    def append_event(self, entry: CallTrailEntry) -> bool:
        """Add one trail line; False (and no change) if that event id is already recorded."""
        with self._db.session() as s:
            if s.scalar(select(CallEventRow.id).where(CallEventRow.event_id == entry.event_id)):
                return False
            s.add(
                CallEventRow(
                    call_id=entry.call_id,
                    event_id=entry.event_id,
                    event_type=entry.event_type,
                    at=entry.at,
                    data=dict(entry.data),
                )
            )
        return True

    def trail(self, call_id: CallId) -> list[CallTrailEntry]:
        with self._db.session() as s:
            rows = s.scalars(
                select(CallEventRow).where(CallEventRow.call_id == call_id).order_by(CallEventRow.id)
            )
            return [
                CallTrailEntry(
                    call_id=CallId(r.call_id),
                    event_id=EventId(r.event_id),
                    event_type=r.event_type,
                    at=r.at,
                    data=r.data,
                    seq=r.id,
                )
                for r in rows
            ]

    def count(self) -> int:
        with self._db.session() as s:
            return int(s.scalar(select(func.count()).select_from(CallRow)) or 0)

    def find_leg(self, leg_id: str) -> CallLeg | None:
        with self._db.session() as s:
            row = s.scalar(select(CallLegRow).where(CallLegRow.leg_id == leg_id))
            return _leg_from_row(row) if row else None

    def save_leg(self, leg: CallLeg) -> None:
        """Insert or replace one leg (keyed by its leg id)."""
        values = {
            "call_id": leg.call_id,
            "kind": leg.kind,
            "party": leg.party,
            "seat_id": leg.seat_id,
            "channel": leg.channel,
            "queue": leg.queue,
            "transfer_seq": leg.transfer_seq,
            "answered_at": leg.answered_at,
            "ended_at": leg.ended_at,
            "talk_seconds": leg.talk_seconds,
            "inferred": leg.inferred,
        }
        with self._db.session() as s:
            row = s.scalar(select(CallLegRow).where(CallLegRow.leg_id == leg.leg_id))
            if row is None:
                s.add(CallLegRow(leg_id=leg.leg_id, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)

    def legs(self, call_id: CallId) -> list[CallLeg]:
        """The call's legs in the order they answered."""
        with self._db.session() as s:
            rows = s.scalars(
                select(CallLegRow)
                .where(CallLegRow.call_id == call_id)
                .order_by(CallLegRow.answered_at, CallLegRow.id)
            )
            return [_leg_from_row(r) for r in rows]


# --- teams, seats, users ---------------------------------------------------------------------


def _team_from_row(r: TeamRow) -> Team:
    return Team(id=TeamId(r.id), name=r.name, kind=TeamKind(r.kind), district_code=r.district_code)


def _seat_from_row(r: SeatRow) -> Seat:
    return Seat(
        id=SeatId(r.id),
        name=r.name,
        kind=SeatKind(r.kind),
        team_id=TeamId(r.team_id),
        interface=r.interface,
        skills=tuple(r.skills or ()),
        active=r.active,
    )


class TeamRepository(_Repo):
    def save(self, team: Team) -> None:
        with self._db.session() as s:
            s.merge(
                TeamRow(id=team.id, name=team.name, kind=team.kind.value, district_code=team.district_code)
            )

    def get(self, team_id: TeamId) -> Team:
        with self._db.session() as s:
            row = s.get(TeamRow, team_id)
            if row is None:
                raise NotFound("团队不存在", team_id=team_id)
            return _team_from_row(row)

    def all(self) -> list[Team]:
        with self._db.session() as s:
            return [_team_from_row(r) for r in s.scalars(select(TeamRow).order_by(TeamRow.id))]


class SeatRepository(_Repo):
    def save(self, seat: Seat) -> None:
        with self._db.session() as s:
            s.merge(
                SeatRow(
                    id=seat.id,
                    name=seat.name,
                    kind=seat.kind.value,
                    team_id=seat.team_id,
                    interface=seat.interface,
                    skills=list(seat.skills),
                    active=seat.active,
                )
            )

    def get(self, seat_id: SeatId) -> Seat:
        with self._db.session() as s:
            row = s.get(SeatRow, seat_id)
            if row is None:
                raise NotFound("坐席不存在", seat_id=seat_id)
            return _seat_from_row(row)

    def by_team(self, team_id: TeamId) -> list[Seat]:
        with self._db.session() as s:
            q = select(SeatRow).where(SeatRow.team_id == team_id).order_by(SeatRow.id)
            return [_seat_from_row(r) for r in s.scalars(q)]

    def all(self) -> list[Seat]:
        with self._db.session() as s:
            return [_seat_from_row(r) for r in s.scalars(select(SeatRow).order_by(SeatRow.id))]


def _user_from_row(r: UserRow) -> User:
    return User(
        id=UserId(r.id),
        username=r.username,
        display_name=r.display_name,
        role=Role(r.role),
        password_hash=r.password_hash,
        seat_id=SeatId(r.seat_id) if r.seat_id else None,
        scope_team_id=TeamId(r.scope_team_id) if r.scope_team_id else None,
        scope_district_code=r.scope_district_code,
        active=r.active,
    )


class UserRepository(_Repo):
    def add(self, user: User) -> None:
        try:
            with self._db.session() as s:
                s.add(
                    UserRow(
                        id=user.id,
                        username=user.username,
                        display_name=user.display_name,
                        role=user.role.value,
                        password_hash=user.password_hash,
                        seat_id=user.seat_id,
                        scope_team_id=user.scope_team_id,
                        scope_district_code=user.scope_district_code,
                        active=user.active,
                    )
                )
        except IntegrityError as exc:
            raise Conflict("用户名已存在", username=user.username) from exc

    def by_username(self, username: str) -> User | None:
        with self._db.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            return _user_from_row(row) if row else None

    def get(self, user_id: UserId) -> User:
        with self._db.session() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                raise NotFound("用户不存在", user_id=user_id)
            return _user_from_row(row)

    def set_password_hash(self, user_id: UserId, password_hash: str) -> None:
        with self._db.session() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                raise NotFound("用户不存在", user_id=user_id)
            row.password_hash = password_hash

    def set_active(self, user_id: UserId, active: bool) -> None:
        """Enable or disable an account; a disabled one can neither log in nor use its sessions."""
        with self._db.session() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                raise NotFound("用户不存在", user_id=user_id)
            row.active = active


class SessionRepository(_Repo):
    def add(self, session: LoginSession) -> None:
        with self._db.session() as s:
            s.add(
                SessionRow(
                    token_hash=session.token_hash,
                    user_id=session.user_id,
                    csrf_token=session.csrf_token,
                    created_at=session.created_at,
                    expires_at=session.expires_at,
                    source_ip=session.source_ip,
                    revoked=session.revoked,
                )
            )

    def get(self, token_hash: str) -> LoginSession | None:
        with self._db.session() as s:
            r = s.get(SessionRow, token_hash)
            if r is None:
                return None
            return LoginSession(
                token_hash=r.token_hash,
                user_id=UserId(r.user_id),
                csrf_token=r.csrf_token,
                created_at=r.created_at,
                expires_at=r.expires_at,
                source_ip=r.source_ip,
                revoked=r.revoked,
            )

    def revoke(self, token_hash: str) -> None:
        with self._db.session() as s:
            r = s.get(SessionRow, token_hash)
            if r is not None:
                r.revoked = True

    def purge_expired(self, now: datetime) -> int:
        with self._db.session() as s:
            rows = list(s.scalars(select(SessionRow).where(SessionRow.expires_at < now)))
            for r in rows:
                s.delete(r)
            return len(rows)


# --- work orders -----------------------------------------------------------------------------


def _order_from_row(r: WorkOrderRow) -> WorkOrder:
    return WorkOrder(
        id=WorkOrderId(r.id),
        caller_number=r.caller_number,
        reason=MissReason(r.reason),
        status=WorkOrderStatus(r.status),
        team_id=TeamId(r.team_id) if r.team_id else None,
        owner_seat_id=SeatId(r.owner_seat_id) if r.owner_seat_id else None,
        created_at=r.created_at,
        deadline=r.deadline,
        attempts=r.attempts,
        misses=r.misses,
        closed_at=r.closed_at,
        outcome_note=r.outcome_note,
        order_no=r.order_no or "",
    )


def _apply_order(row: WorkOrderRow, order: WorkOrder) -> None:
    row.caller_number = order.caller_number
    row.reason = order.reason.value
    row.status = order.status.value
    row.team_id = order.team_id
    row.owner_seat_id = order.owner_seat_id
    row.created_at = order.created_at
    row.deadline = order.deadline
    row.attempts = order.attempts
    row.misses = order.misses
    row.closed_at = order.closed_at
    row.outcome_note = order.outcome_note


def _draw_number(s: Session, created_at: datetime) -> str:
    """The next number of `created_at`'s China date, drawn in the caller's transaction: the
    row's update holds its lock until the order is committed, so two processes never draw the
    same number (a rolled-back order leaves a gap, never a repeat)."""
    day = created_at.astimezone(CHINA_TZ).date()
    key = f"{day:%Y%m%d}"
    upsert = sqlite_insert if s.get_bind().dialect.name == "sqlite" else pg_insert
    s.execute(upsert(WorkOrderDayRow).values(day=key, last=0).on_conflict_do_nothing())
    seq = s.execute(
        update(WorkOrderDayRow)
        .where(WorkOrderDayRow.day == key)
        .values(last=WorkOrderDayRow.last + 1)
        .returning(WorkOrderDayRow.last)
    ).scalar_one()
    return order_number(day, seq)


class WorkOrderRepository(_Repo):
    def record_miss(self, miss: MissedCall, new_order: WorkOrder) -> tuple[WorkOrder, bool]:
        """Attach a missed call to the caller's open order, or open `new_order` for it.

        Returns (order, created). Exactly once per call: a call already recorded returns its
        order unchanged. Runs in one transaction; the database's unique keys (call id; one open
        order per number) settle races between workers.
        """
        with self._db.session() as s:
            existing = s.get(WorkOrderCallRow, miss.call_id)
            if existing is not None:
                return _order_from_row(s.get_one(WorkOrderRow, existing.order_id)), False
            open_row = self._open_row(s, new_order.caller_number)
            created = open_row is None
            if open_row is None:
                open_row = WorkOrderRow(id=new_order.id, order_no=_draw_number(s, new_order.created_at))
                _apply_order(open_row, new_order)
                s.add(open_row)
            else:
                open_row.misses += 1
            s.flush()
            s.add(
                WorkOrderCallRow(
                    call_id=miss.call_id, order_id=open_row.id, reason=miss.reason.value, at=miss.at
                )
            )
            return _order_from_row(open_row), created

    def _open_row(self, s: Session, caller_number: str) -> WorkOrderRow | None:
        q = select(WorkOrderRow).where(
            WorkOrderRow.caller_number == caller_number,
            WorkOrderRow.status.in_([st.value for st in OPEN_STATUSES]),
        )
        return s.scalar(q)

    def open_for_number(self, caller_number: str) -> WorkOrder | None:
        with self._db.session() as s:
            row = self._open_row(s, caller_number)
            return _order_from_row(row) if row else None

    def for_number(self, caller_number: str, *, limit: int = 20) -> list[WorkOrder]:
        """A caller's work orders for their file: open ones first, then the newest."""
        is_open = case((WorkOrderRow.status.in_([st.value for st in OPEN_STATUSES]), 0), else_=1)
        with self._db.session() as s:
            q = (
                select(WorkOrderRow)
                .where(WorkOrderRow.caller_number == caller_number)
                .order_by(is_open, WorkOrderRow.created_at.desc())
                .limit(limit)
            )
            return [_order_from_row(r) for r in s.scalars(q)]

    def get(self, order_id: WorkOrderId) -> WorkOrder:
        with self._db.session() as s:
            row = s.get(WorkOrderRow, order_id)
            if row is None:
                raise NotFound("工单不存在", order_id=order_id)
            return _order_from_row(row)

    def update(self, order: WorkOrder, *, expected_status: WorkOrderStatus | None = None) -> WorkOrder:
        """Write `order`; with `expected_status`, fail with Conflict if someone changed it first."""
        with self._db.session() as s:
            row = s.get(WorkOrderRow, order.id, with_for_update=True)
            if row is None:
                raise NotFound("工单不存在", order_id=order.id)
            if expected_status is not None and row.status != expected_status.value:
                raise Conflict("工单状态已变化", order_id=order.id, status=row.status)
            _apply_order(row, order)
            return replace(order)

    def search(
        self,
        *,
        statuses: Sequence[WorkOrderStatus] | None = None,
        team_id: TeamId | None = None,
        owner_seat_id: SeatId | None = None,
        order_no: str | None = None,
        limit: int = 200,
    ) -> list[WorkOrder]:
        """`order_no`: the readable number, or a part of it (any case)."""
        with self._db.session() as s:
            q = select(WorkOrderRow).order_by(WorkOrderRow.deadline).limit(limit)
            if order_no:
                q = q.where(WorkOrderRow.order_no.contains(order_no.strip().upper(), autoescape=True))
            if statuses is not None:
                q = q.where(WorkOrderRow.status.in_([st.value for st in statuses]))
            if team_id is not None:
                q = q.where(WorkOrderRow.team_id == team_id)
            if owner_seat_id is not None:
                q = q.where(WorkOrderRow.owner_seat_id == owner_seat_id)
            return [_order_from_row(r) for r in s.scalars(q)]

    def calls_of(self, order_id: WorkOrderId) -> list[MissedCall]:
        with self._db.session() as s:
            q = (
                select(WorkOrderCallRow)
                .where(WorkOrderCallRow.order_id == order_id)
                .order_by(WorkOrderCallRow.at)
            )
            return [
                MissedCall(
                    call_id=CallId(r.call_id),
                    order_id=WorkOrderId(r.order_id),
                    reason=MissReason(r.reason),
                    at=r.at,
                )
                for r in s.scalars(q)
            ]

    def count_missed_calls(self) -> int:
        with self._db.session() as s:
            return int(s.scalar(select(func.count()).select_from(WorkOrderCallRow)) or 0)


# --- transcripts, survey, audit, offices -----------------------------------------------------


class TranscriptRepository(_Repo):
    def add(self, line: TranscriptLine) -> bool:
        """Store a segment; a repeated (call, leg, seq) replaces a partial with the newer text."""
        with self._db.session() as s:
            row = s.scalar(
                select(TranscriptRow).where(
                    TranscriptRow.call_id == line.call_id,
                    TranscriptRow.leg == line.leg,
                    TranscriptRow.seq == line.seq,
                )
            )
            if row is not None:
                if row.final and not line.final:
                    return False
                row.text, row.start_s, row.end_s, row.final, row.at = (
                    line.text,
                    line.start_s,
                    line.end_s,
                    line.final,
                    line.at,
                )
                return True
            s.add(
                TranscriptRow(
                    call_id=line.call_id,
                    leg=line.leg,
                    seq=line.seq,
                    text=line.text,
                    start_s=line.start_s,
                    end_s=line.end_s,
                    final=line.final,
                    at=line.at,
                )
            )
            return True

    def for_call(self, call_id: CallId) -> list[TranscriptLine]:
        with self._db.session() as s:
            q = (
                select(TranscriptRow)
                .where(TranscriptRow.call_id == call_id)
                .order_by(TranscriptRow.start_s, TranscriptRow.seq)
            )
            return [
                TranscriptLine(
                    call_id=CallId(r.call_id),
                    leg=r.leg,
                    seq=r.seq,
                    text=r.text,
                    start_s=r.start_s,
                    end_s=r.end_s,
                    final=r.final,
                    at=r.at,
                )
                for r in s.scalars(q)
            ]


class SurveyRepository(_Repo):
    def record(self, answer: SurveyAnswer) -> bool:
        """One answer per call; a second answer for the same call is refused (False)."""
        try:
            with self._db.session() as s:
                s.add(
                    SurveyAnswerRow(
                        call_id=answer.call_id, seat_id=answer.seat_id, score=int(answer.score), at=answer.at
                    )
                )
        except IntegrityError:
            return False
        return True

    def between(self, start: datetime, end: datetime) -> list[SurveyAnswer]:
        with self._db.session() as s:
            q = (
                select(SurveyAnswerRow)
                .where(SurveyAnswerRow.at >= start, SurveyAnswerRow.at < end)
                .order_by(SurveyAnswerRow.at)
            )
            return [
                SurveyAnswer(
                    call_id=CallId(r.call_id),
                    seat_id=SeatId(r.seat_id) if r.seat_id else None,
                    score=Satisfaction(r.score),
                    at=r.at,
                )
                for r in s.scalars(q)
            ]


class AuditRepository(_Repo):
    def append(self, entry: AuditEntry) -> int:
        with self._db.session() as s:
            row = AuditRow(
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                target=entry.target,
                detail=dict(entry.detail),
                source_ip=entry.source_ip,
            )
            s.add(row)
            s.flush()
            return row.id

    def recent(self, *, limit: int = 100, actor: UserId | None = None) -> list[AuditEntry]:
        with self._db.session() as s:
            q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
            if actor is not None:
                q = q.where(AuditRow.actor == actor)
            return [
                AuditEntry(
                    id=r.id,
                    at=r.at,
                    actor=UserId(r.actor) if r.actor else None,
                    action=r.action,
                    target=r.target,
                    detail=r.detail,
                    source_ip=r.source_ip,
                )
                for r in s.scalars(q)
            ]


OFFICE_FIELDS = tuple(c.name for c in OfficeRow.__table__.columns if not c.primary_key)
"""The columns of an office row besides its id, in table order (name, level, ... team_id)."""


class OfficeRepository(_Repo):
    """Offices as plain mappings; `routing` turns them into its own `Office` values.

    (`store` may not know `routing`'s office type before that package settles; a mapping keeps the
    two decoupled and the registry is loaded in one query at start-up.)
    """

    def upsert_many(self, offices: Sequence[Mapping[str, Any]]) -> int:
        with self._db.session() as s:
            existing = set(
                s.scalars(select(OfficeRow.id).where(OfficeRow.id.in_([o["id"] for o in offices])))
            )
            fresh = [
                {"id": o["id"], **{k: o[k] for k in OFFICE_FIELDS if k in o}}
                for o in offices
                if o["id"] not in existing
            ]
            if fresh:
                # One executemany for new rows: seeding 6,760 Shanghai offices takes a fraction of a
                # second instead of a merge (a SELECT and an INSERT) per row.
                s.execute(insert(OfficeRow), fresh)
            for o in offices:
                if o["id"] in existing:
                    s.merge(OfficeRow(id=o["id"], **{k: o.get(k) for k in OFFICE_FIELDS if k in o}))
        return len(offices)

    def all(self) -> list[dict[str, Any]]:
        with self._db.session() as s:
            return [
                {"id": r.id, **{k: getattr(r, k) for k in OFFICE_FIELDS}}
                for r in s.scalars(select(OfficeRow).order_by(OfficeRow.id))
            ]

    def count(self) -> int:
        with self._db.session() as s:
            return int(s.scalar(select(func.count()).select_from(OfficeRow)) or 0)


class Repositories:
    """All repositories over one database, for injection."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.calls = CallRepository(db)
        self.teams = TeamRepository(db)
        self.seats = SeatRepository(db)
        self.users = UserRepository(db)
        self.sessions = SessionRepository(db)
        self.work_orders = WorkOrderRepository(db)
        self.transcripts = TranscriptRepository(db)
        self.surveys = SurveyRepository(db)
        self.voicemails = VoicemailRepository(db)
        self.audit = AuditRepository(db)
        self.offices = OfficeRepository(db)
