"""Repositories: rows in, domain dataclasses out.

Each repository holds a `Database` and opens one short transaction per call, so callers never see
SQLAlchemy. Writes that may be repeated (a replayed AMI stream, a restarted recorder) are
idempotent by design: the trail is keyed by event id, transcripts by (call, leg, seq), survey
answers by call, and missed calls by call id.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from callbacks.models import (
    EVERY_ORDER,
    OPEN_STATUSES,
    MissedCall,
    MissReason,
    OrderFilter,
    WorkOrder,
    WorkOrderStatus,
)
from core.access import Role
from core.audit import AuditEntry, AuditFilter
from core.call_events import LegKind
from core.calls import AnsweredCall, CallLeg, CallRecord, CallStatus, CallTrailEntry, TranscriptLine
from core.errors import Conflict, NotFound
from core.ids import CallId, SeatId, TeamId, UserId, WorkOrderId
from seats.models import LoginSession, Seat, SeatKind, Team, TeamKind, User
from stats.models import Satisfaction, SurveyAnswer
from store.db import Database
from store.follow_ups import FollowUpRepository
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
    WorkOrderRow,
)
from store.rows import Repo, RowMapper, as_tuple, assign, chunks, optional, or_default, require, row_values
from store.voicemails import VoicemailRepository
from store.work_order_rows import apply_order, draw_number, missed_call_from_row, order_from_row

# --- calls and their trail -------------------------------------------------------------------

_call_from_row = RowMapper(
    CallRecord,
    status=CallStatus,
    seat_id=optional(SeatId),
    ivr_path=as_tuple,
    direction=or_default("inbound"),
    final_seat_id=optional(SeatId),
    transfers=as_tuple,
)
_leg_from_row = RowMapper(CallLeg, seat_id=optional(SeatId))
_trail_from_row = RowMapper(CallTrailEntry, columns={"seq": "id"})

# The batch writes go through the tables (Core statements, one executemany each) and read plain
# rows: they leave the session's identity map alone.
_CALLS = CallRow.metadata.tables[CallRow.__tablename__]
_LEGS = CallLegRow.metadata.tables[CallLegRow.__tablename__]
_EVENTS = CallEventRow.metadata.tables[CallEventRow.__tablename__]
_TRANSCRIPTS = TranscriptRow.metadata.tables[TranscriptRow.__tablename__]


class CallRepository(Repo):
    def save(self, call: CallRecord) -> None:
        """Insert or replace the call's summary row."""
        values = row_values(call, skip=("id",))
        with self._db.session() as s:
            row = s.get(CallRow, call.id)
            if row is None:
                s.add(CallRow(id=call.id, **values))
            else:
                assign(row, values)

    def get(self, call_id: CallId) -> CallRecord:
        return self._get(CallRow, call_id, _call_from_row, "通话不存在", call_id=call_id)

    def find(self, call_id: CallId) -> CallRecord | None:
        return self._find(CallRow, call_id, _call_from_row)

    def recent(self, *, limit: int = 50, caller_number: str | None = None) -> list[CallRecord]:
        q = select(CallRow).order_by(CallRow.offered_at.desc()).limit(limit)
        if caller_number is not None:
            q = q.where(CallRow.caller_number == caller_number)
        return self._list(q, _call_from_row)

    def between(
        self, start: datetime, end: datetime, *, direction: str | None = "inbound"
    ) -> list[CallRecord]:
        """Calls offered in [start, end). Citizens' calls only by default: the KPIs and reports read
        this, and a callback is the hotline calling out (`direction=None`: every call)."""
        q = (
            select(CallRow)
            .where(CallRow.offered_at >= start, CallRow.offered_at < end)
            .order_by(CallRow.offered_at)
        )
        if direction is not None:
            q = q.where(CallRow.direction == direction)
        return self._list(q, _call_from_row)

    def answered_between(self, start: datetime, end: datetime) -> list[AnsweredCall]:
        """Inbound calls offered in [start, end) that a seat answered and that are over, as 质检
        sampling reads them: six columns, no ORM objects (a sweep reads two weeks of calls)."""
        q = (
            select(
                CallRow.id,
                CallRow.seat_id,
                CallRow.offered_at,
                CallRow.talk_seconds,
                CallRow.queue,
                CallRow.district_code,
            )
            .where(CallRow.offered_at >= start, CallRow.offered_at < end, CallRow.direction == "inbound")
            .where(
                CallRow.seat_id.is_not(None), CallRow.answered_at.is_not(None), CallRow.ended_at.is_not(None)
            )
            .order_by(CallRow.offered_at)
        )
        with self._db.session() as s:
            return [
                AnsweredCall(
                    id=CallId(i),
                    seat_id=SeatId(seat or ""),  # never empty: the query asks for a seat
                    offered_at=offered,
                    talk_seconds=talk,
                    queue=queue,
                    district_code=district,
                )
                for i, seat, offered, talk, queue, district in s.execute(q)
            ]

    def append_event(self, entry: CallTrailEntry) -> bool:
        """Add one trail line; False (and no change) if that event id is already recorded."""
        with self._db.session() as s:
            if s.scalar(select(CallEventRow.id).where(CallEventRow.event_id == entry.event_id)):
                return False
            s.add(CallEventRow(**row_values(entry, skip=("seq",))))
        return True

    def append_events(self, entries: Sequence[CallTrailEntry]) -> list[bool]:
        """`append_event` for several lines at once, in order: one query for the event ids already
        recorded and one insert for the rest. For each entry, whether it was added (False: its
        event id is recorded already, or came earlier in `entries`)."""
        if not entries:
            return []
        added: list[bool] = []
        with self._db.session() as s:
            seen: set[str] = set()
            for part in chunks(sorted({e.event_id for e in entries})):
                seen.update(s.scalars(select(CallEventRow.event_id).where(CallEventRow.event_id.in_(part))))
            rows: list[dict[str, Any]] = []
            for entry in entries:
                fresh = entry.event_id not in seen
                added.append(fresh)
                if fresh:
                    seen.add(entry.event_id)
                    rows.append(row_values(entry, skip=("seq",)))
            if rows:
                s.execute(insert(_EVENTS), rows)  # one executemany: the ids follow the list's order
        return added

    def trail(self, call_id: CallId) -> list[CallTrailEntry]:
        return self._list_by(CallEventRow, _trail_from_row, CallEventRow.id, call_id=call_id)

    def count(self) -> int:
        return self._count(CallRow)

    def find_leg(self, leg_id: str) -> CallLeg | None:
        return self._first(select(CallLegRow).where(CallLegRow.leg_id == leg_id), _leg_from_row)

    def save_leg(self, leg: CallLeg) -> None:
        """Insert or replace one leg (keyed by its leg id)."""
        values = row_values(leg, skip=("leg_id",))
        with self._db.session() as s:
            row = s.scalar(select(CallLegRow).where(CallLegRow.leg_id == leg.leg_id))
            if row is None:
                s.add(CallLegRow(leg_id=leg.leg_id, **values))
            else:
                assign(row, values)

    def find_many(self, call_ids: Collection[CallId]) -> dict[CallId, CallRecord]:
        """The summary rows of those of `call_ids` that have one, in one query (per 500 ids)."""
        out: dict[CallId, CallRecord] = {}
        with self._db.session() as s:
            for part in chunks(sorted(set(call_ids))):
                for row in s.execute(select(_CALLS).where(_CALLS.c.id.in_(part))):
                    out[CallId(row.id)] = _call_from_row(row)
        return out

    def save_many(self, calls: Sequence[CallRecord], *, stored: Collection[CallId]) -> None:
        """`save` for several calls: one insert for those not `stored` yet, one executemany update
        (every column, by id) for the others."""
        new = [{"id": c.id, **row_values(c, skip=("id",))} for c in calls if c.id not in stored]
        changed = [{"_id": c.id, **row_values(c, skip=("id",))} for c in calls if c.id in stored]
        with self._db.session() as s:
            if new:
                s.execute(insert(_CALLS), new)
            if changed:
                s.execute(update(_CALLS).where(_CALLS.c.id == bindparam("_id")), changed)

    def legs_of(self, *, leg_ids: Collection[str], call_ids: Collection[CallId]) -> list[tuple[int, CallLeg]]:
        """The stored legs with one of `leg_ids` or of one of `call_ids`, with their row ids, in the
        order `legs` gives (answered, then row id), in one query (per 500 keys)."""
        found: dict[int, CallLeg] = {}
        by_leg, by_call = sorted(set(leg_ids)), sorted(set(call_ids))
        with self._db.session() as s:
            for n in range(0, max(len(by_leg), len(by_call)), 500):
                legs_part, calls_part = by_leg[n : n + 500], by_call[n : n + 500]
                q = select(_LEGS).where(or_(_LEGS.c.leg_id.in_(legs_part), _LEGS.c.call_id.in_(calls_part)))
                for row in s.execute(q):
                    found[row.id] = _leg_from_row(row)
        return sorted(found.items(), key=lambda item: (item[1].answered_at, item[0]))

    def save_legs(self, legs: Sequence[CallLeg], *, stored: Mapping[str, int]) -> None:
        """`save_leg` for several legs: one insert for the new ones (in the given order), one
        executemany update (by row id) for those `stored` (leg id: row id)."""
        new = [row_values(leg) for leg in legs if leg.leg_id not in stored]
        changed = [{"_id": stored[leg.leg_id], **row_values(leg)} for leg in legs if leg.leg_id in stored]
        with self._db.session() as s:
            if new:
                s.execute(insert(_LEGS), new)
            if changed:
                s.execute(update(_LEGS).where(_LEGS.c.id == bindparam("_id")), changed)

    def legs(self, call_id: CallId) -> list[CallLeg]:
        """The call's legs in the order they answered."""
        return self._list_by(
            CallLegRow, _leg_from_row, CallLegRow.answered_at, CallLegRow.id, call_id=call_id
        )

    def third_parties(self, call_ids: Sequence[CallId]) -> list[CallLeg]:
        """The three-way calls' third parties (legs of kind `third_party`) of these calls, in the
        order they joined."""
        if not call_ids:
            return []
        q = (
            select(CallLegRow)
            .where(CallLegRow.call_id.in_(list(call_ids)), CallLegRow.kind == LegKind.THIRD_PARTY.value)
            .order_by(CallLegRow.answered_at, CallLegRow.id)
        )
        return self._list(q, _leg_from_row)


# --- teams, seats, users ---------------------------------------------------------------------

_team_from_row = RowMapper(Team, kind=TeamKind)
_seat_from_row = RowMapper(Seat, kind=SeatKind, skills=as_tuple)
_user_from_row = RowMapper(User, role=Role, seat_id=optional(SeatId), scope_team_id=optional(TeamId))
_session_from_row = RowMapper(LoginSession)


class TeamRepository(Repo):
    def save(self, team: Team) -> None:
        self._merge(TeamRow(**row_values(team)))

    def get(self, team_id: TeamId) -> Team:
        return self._get(TeamRow, team_id, _team_from_row, "团队不存在", team_id=team_id)

    def all(self) -> list[Team]:
        return self._list_by(TeamRow, _team_from_row, TeamRow.id)


class SeatRepository(Repo):
    def save(self, seat: Seat) -> None:
        self._merge(SeatRow(**row_values(seat)))

    def get(self, seat_id: SeatId) -> Seat:
        return self._get(SeatRow, seat_id, _seat_from_row, "坐席不存在", seat_id=seat_id)

    def by_team(self, team_id: TeamId) -> list[Seat]:
        return self._list_by(SeatRow, _seat_from_row, SeatRow.id, team_id=team_id)

    def all(self) -> list[Seat]:
        return self._list_by(SeatRow, _seat_from_row, SeatRow.id)

    def set_expert(self, seat_id: SeatId, expert: bool) -> Seat:
        """Make the seat an expert seat (专家坐席) or not; the seat as stored after."""
        with self._db.session() as s:
            row = require(s, SeatRow, seat_id, "坐席不存在", seat_id=seat_id)
            row.expert = expert
            return _seat_from_row(row)


class UserRepository(Repo):
    def add(self, user: User) -> None:
        try:
            with self._db.session() as s:
                s.add(UserRow(**row_values(user)))
        except IntegrityError as exc:
            raise Conflict("用户名已存在", username=user.username) from exc

    def by_username(self, username: str) -> User | None:
        return self._first(select(UserRow).where(UserRow.username == username), _user_from_row)

    def get(self, user_id: UserId) -> User:
        return self._get(UserRow, user_id, _user_from_row, "用户不存在", user_id=user_id)

    def set_password_hash(self, user_id: UserId, password_hash: str) -> None:
        with self._db.session() as s:
            require(s, UserRow, user_id, "用户不存在", user_id=user_id).password_hash = password_hash

    def set_active(self, user_id: UserId, active: bool) -> None:
        """Enable or disable an account; a disabled one can neither log in nor use its sessions."""
        with self._db.session() as s:
            require(s, UserRow, user_id, "用户不存在", user_id=user_id).active = active


class SessionRepository(Repo):
    def add(self, session: LoginSession) -> None:
        with self._db.session() as s:
            s.add(SessionRow(**row_values(session)))

    def get(self, token_hash: str) -> LoginSession | None:
        return self._find(SessionRow, token_hash, _session_from_row)

    def with_users(self, token_hashes: Sequence[str]) -> dict[str, tuple[LoginSession, User]]:
        """The sessions found among `token_hashes`, each with its user: one query per 500 (the
        websocket hub's recheck of every open socket at once)."""
        out: dict[str, tuple[LoginSession, User]] = {}
        with self._db.session() as s:
            for some in chunks(list(dict.fromkeys(token_hashes))):
                query = (
                    select(SessionRow, UserRow)
                    .join(UserRow, UserRow.id == SessionRow.user_id)
                    .where(SessionRow.token_hash.in_(some))
                )
                for session, user in s.execute(query):
                    out[session.token_hash] = (_session_from_row(session), _user_from_row(user))
        return out

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


class WorkOrderRepository(Repo):
    def record_miss(self, miss: MissedCall, new_order: WorkOrder) -> tuple[WorkOrder, bool]:
        """Attach a missed call to the caller's open order, or open `new_order` for it.

        Returns (order, created). Exactly once per call: a call already recorded returns its
        order unchanged. Runs in one transaction; the database's unique keys (call id; one open
        order per number) settle races between workers.
        """
        with self._db.session() as s:
            existing = s.get(WorkOrderCallRow, miss.call_id)
            if existing is not None:
                return order_from_row(s.get_one(WorkOrderRow, existing.order_id)), False
            open_row = s.scalar(self._open_query(new_order.caller_number))
            created = open_row is None
            if open_row is None:
                open_row = WorkOrderRow(id=new_order.id, order_no=draw_number(s, new_order.created_at))
                apply_order(open_row, new_order)
                s.add(open_row)
            else:
                open_row.misses += 1
            s.flush()
            s.add(
                WorkOrderCallRow(
                    call_id=miss.call_id, order_id=open_row.id, reason=miss.reason.value, at=miss.at
                )
            )
            return order_from_row(open_row), created

    @staticmethod
    def _open_query(caller_number: str) -> Select[WorkOrderRow]:
        """The caller's open callback order (a follow-up, 回访, is about a call, not a number)."""
        return select(WorkOrderRow).where(
            WorkOrderRow.caller_number == caller_number,
            WorkOrderRow.status.in_([st.value for st in OPEN_STATUSES]),
            WorkOrderRow.reason != MissReason.FOLLOW_UP.value,
        )

    def open_for_number(self, caller_number: str) -> WorkOrder | None:
        return self._first(self._open_query(caller_number), order_from_row)

    def for_number(self, caller_number: str, *, limit: int = 20) -> list[WorkOrder]:
        """A caller's work orders for their file: open ones first, then the newest."""
        is_open = case((WorkOrderRow.status.in_([st.value for st in OPEN_STATUSES]), 0), else_=1)
        q = (
            select(WorkOrderRow)
            .where(WorkOrderRow.caller_number == caller_number)
            .order_by(is_open, WorkOrderRow.created_at.desc())
            .limit(limit)
        )
        return self._list(q, order_from_row)

    def get(self, order_id: WorkOrderId) -> WorkOrder:
        return self._get(WorkOrderRow, order_id, order_from_row, "工单不存在", order_id=order_id)

    def update(self, order: WorkOrder, *, expected_status: WorkOrderStatus | None = None) -> WorkOrder:
        """Write `order`; with `expected_status`, fail with Conflict if someone changed it first."""
        with self._db.session() as s:
            row = s.get(WorkOrderRow, order.id, with_for_update=True)
            if row is None:
                raise NotFound("工单不存在", order_id=order.id)
            if expected_status is not None and row.status != expected_status.value:
                raise Conflict("工单状态已变化", order_id=order.id, status=row.status)
            apply_order(row, order)
            return replace(order)

    def search(self, wanted: OrderFilter = EVERY_ORDER) -> list[WorkOrder]:
        q = select(WorkOrderRow).order_by(WorkOrderRow.deadline).limit(wanted.limit)
        if wanted.order_no:
            q = q.where(WorkOrderRow.order_no.contains(wanted.order_no.strip().upper(), autoescape=True))
        if wanted.statuses is not None:
            q = q.where(WorkOrderRow.status.in_([st.value for st in wanted.statuses]))
        if wanted.team_id is not None:
            q = q.where(WorkOrderRow.team_id == wanted.team_id)
        if wanted.owner_seat_id is not None:
            q = q.where(WorkOrderRow.owner_seat_id == wanted.owner_seat_id)
        return self._list(q, order_from_row)

    def calls_of(self, order_id: WorkOrderId) -> list[MissedCall]:
        return self._list_by(WorkOrderCallRow, missed_call_from_row, WorkOrderCallRow.at, order_id=order_id)

    def count_missed_calls(self) -> int:
        return self._count(WorkOrderCallRow)


# --- transcripts, survey, audit, offices -----------------------------------------------------

_transcript_from_row = RowMapper(TranscriptLine)
_answer_from_row = RowMapper(SurveyAnswer, seat_id=optional(SeatId), score=Satisfaction)
_audit_from_row = RowMapper(AuditEntry, actor=optional(UserId))


class TranscriptRepository(Repo):
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
            if row is None:
                s.add(TranscriptRow(**row_values(line)))
                return True
            if row.final and not line.final:
                return False
            assign(row, row_values(line, skip=("call_id", "leg", "seq")))
            return True

    def add_many(self, lines: Sequence[TranscriptLine]) -> None:
        """`add` for several segments, in order, as if added one by one: one query for the stored
        segments they name, one insert for the new ones, one executemany update for the others."""
        if not lines:
            return
        keys = sorted({(line.call_id, line.leg, line.seq) for line in lines})
        stored: dict[tuple[str, str, int], tuple[int, TranscriptLine]] = {}
        with self._db.session() as s:
            t = _TRANSCRIPTS
            for part in chunks(keys):
                for row in s.execute(select(t).where(tuple_(t.c.call_id, t.c.leg, t.c.seq).in_(part))):
                    stored[(row.call_id, row.leg, row.seq)] = (row.id, _transcript_from_row(row))
            now = {key: line for key, (_, line) in stored.items()}
            for line in lines:
                key = (line.call_id, line.leg, line.seq)
                held = now.get(key)
                if held is not None and held.final and not line.final:
                    continue  # a late partial never replaces the final text
                now[key] = line
            new = [row_values(line) for key, line in now.items() if key not in stored]
            changed = [
                {"_id": stored[key][0], **row_values(line, skip=("call_id", "leg", "seq"))}
                for key, line in now.items()
                if key in stored and line != stored[key][1]
            ]
            if new:
                s.execute(insert(t), new)
            if changed:
                s.execute(update(t).where(t.c.id == bindparam("_id")), changed)

    def for_call(self, call_id: CallId) -> list[TranscriptLine]:
        order = (TranscriptRow.start_s, TranscriptRow.seq)
        return self._list_by(TranscriptRow, _transcript_from_row, *order, call_id=call_id)


class SurveyRepository(Repo):
    def record(self, answer: SurveyAnswer) -> bool:
        """One answer per call; a second answer for the same call is refused (False)."""
        return self._insert_once(SurveyAnswerRow(**row_values(answer)))

    def between(self, start: datetime, end: datetime) -> list[SurveyAnswer]:
        q = (
            select(SurveyAnswerRow)
            .where(SurveyAnswerRow.at >= start, SurveyAnswerRow.at < end)
            .order_by(SurveyAnswerRow.at)
        )
        return self._list(q, _answer_from_row)


class AuditRepository(Repo):
    def append(self, entry: AuditEntry) -> int:
        with self._db.session() as s:
            row = AuditRow(**row_values(entry, skip=("id",)))
            s.add(row)
            s.flush()
            return row.id

    def recent(
        self, *, limit: int = 100, actor: UserId | None = None, prefixes: tuple[str, ...] = ()
    ) -> list[AuditEntry]:
        """The newest entries first; `prefixes`: only actions starting with one of them."""
        q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if actor is not None:
            q = q.where(AuditRow.actor == actor)
        if prefixes:
            q = q.where(_actions(prefixes))
        return self._list(q, _audit_from_row)

    def page(self, wanted: AuditFilter) -> tuple[list[AuditEntry], int]:
        """One page of the entries, newest first, and how many match in all."""
        where: list[ColumnElement[bool]] = []
        if wanted.prefixes:
            where.append(_actions(wanted.prefixes))
        if wanted.actor is not None:
            where.append(AuditRow.actor == wanted.actor)
        if wanted.since is not None:
            where.append(AuditRow.at >= wanted.since)
        if wanted.until is not None:
            where.append(AuditRow.at < wanted.until)
        q = select(AuditRow).where(*where).order_by(AuditRow.at.desc(), AuditRow.id.desc())
        with self._db.session() as s:
            total = s.scalar(select(func.count()).select_from(AuditRow).where(*where)) or 0
            page = q.offset(max(0, wanted.offset)).limit(wanted.limit)
            rows = [_audit_from_row(r) for r in s.scalars(page)]
        return rows, total

    def actors(self, prefixes: tuple[str, ...] = ()) -> dict[UserId, str]:
        """Who wrote entries (with one of `prefixes`), with their shown names: the audit page's
        filter and its 操作人 column. An actor no longer in the users table shows its id."""
        q = select(AuditRow.actor, UserRow.display_name).distinct()
        q = q.outerjoin(UserRow, UserRow.id == AuditRow.actor).where(AuditRow.actor.is_not(None))
        if prefixes:
            q = q.where(_actions(prefixes))
        with self._db.session() as s:
            return {UserId(actor): name or actor for actor, name in s.execute(q) if actor}


def _actions(prefixes: tuple[str, ...]) -> ColumnElement[bool]:
    """Actions starting with one of `prefixes` (`_` and `%` in them taken literally)."""
    return or_(*(AuditRow.action.startswith(p, autoescape=True) for p in prefixes))


OFFICE_FIELDS = tuple(c.name for c in OfficeRow.__table__.columns if not c.primary_key)
"""The columns of an office row besides its id, in table order (name, level, ... team_id)."""


class OfficeRepository(Repo):
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
        return self._list(
            select(OfficeRow).order_by(OfficeRow.id),
            lambda r: {"id": r.id, **{k: getattr(r, k) for k in OFFICE_FIELDS}},
        )

    def count(self) -> int:
        return self._count(OfficeRow)


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
        self.follow_ups = FollowUpRepository(db)
        self.audit = AuditRepository(db)
        self.offices = OfficeRepository(db)
