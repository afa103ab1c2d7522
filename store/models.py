"""SQLAlchemy 2 declarative models (the database schema).

Rows never leave `store`: repositories map them to the domain dataclasses. Every timestamp is
stored as UTC through `UtcDateTime`, which hands back aware datetimes on SQLite too (SQLite keeps
no zone). Constraint names follow one convention so Alembic migrations stay stable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[str]: JSON}  # noqa: RUF012 (SQLAlchemy reads it)


class TeamRow(Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    district_code: Mapped[str | None] = mapped_column(String(12))


class SeatRow(Base):
    __tablename__ = "seats"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    interface: Mapped[str] = mapped_column(String(100), unique=True)
    skills: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    expert: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    seat_id: Mapped[str | None] = mapped_column(ForeignKey("seats.id"))
    scope_team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"))
    scope_district_code: Mapped[str | None] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SessionRow(Base):
    __tablename__ = "login_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    source_ip: Mapped[str] = mapped_column(String(64), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class CallRow(Base):
    __tablename__ = "calls"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(40), index=True)
    dialed: Mapped[str] = mapped_column(String(40), default="12348")
    channel: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20))
    district_code: Mapped[str | None] = mapped_column(String(12))
    category: Mapped[str | None] = mapped_column(String(40))
    queue: Mapped[str | None] = mapped_column(String(80))
    office_id: Mapped[str | None] = mapped_column(String(64))
    seat_id: Mapped[str | None] = mapped_column(String(64), index=True)
    ivr_path: Mapped[list[str]] = mapped_column(default=list)
    offered_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    hung_up_by: Mapped[str | None] = mapped_column(String(20))
    # 0007: callbacks are calls too; the seats and transfers a call went through.
    direction: Mapped[str] = mapped_column(String(20), default="inbound", server_default="inbound")
    work_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    final_seat_id: Mapped[str | None] = mapped_column(String(64))
    transfer_status: Mapped[str | None] = mapped_column(String(20))  # the last transfer's; None: none
    transfers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    customer_outcome: Mapped[str | None] = mapped_column(String(20))  # a callback's citizen leg


class CallLegRow(Base):
    """One party of a call (a seat, an outside number, a callback's citizen) with its own talk time."""

    __tablename__ = "call_legs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    leg_id: Mapped[str] = mapped_column(String(140), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    party: Mapped[str] = mapped_column(String(80))
    seat_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(200), default="")
    queue: Mapped[str | None] = mapped_column(String(80))
    transfer_seq: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    inferred: Mapped[bool] = mapped_column(Boolean, default=False)


class CallEventRow(Base):
    """The complete trail of a call (全程留痕): every domain event about it, in arrival order.

    No foreign key to `calls`: the trail must accept an event even before (or without) the call
    row, so that nothing is lost when events arrive out of the expected order after a resync.
    """

    __tablename__ = "call_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    event_id: Mapped[str] = mapped_column(String(120), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


OPEN_CALLBACK_ORDER = "status IN ('pool', 'assigned') AND reason <> 'follow_up'"


class WorkOrderRow(Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        # One OPEN callback order per caller number: enforced by the database, not only by the
        # code. A follow-up (回访) is about one rated call and stands beside it.
        Index(
            "uq_work_orders_open_number",
            "caller_number",
            unique=True,
            sqlite_where=text(OPEN_CALLBACK_ORDER),
            postgresql_where=text(OPEN_CALLBACK_ORDER),
        ),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30), index=True)
    team_id: Mapped[str | None] = mapped_column(String(64), index=True)
    owner_seat_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    deadline: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    misses: Mapped[int] = mapped_column(Integer, default=1)
    closed_at: Mapped[datetime | None]
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    # The readable number (`callbacks.models.order_number`); unique whatever process drew it.
    order_no: Mapped[str | None] = mapped_column(String(20), index=True, unique=True)
    scheduled_for: Mapped[datetime | None]  # 预约回拨: the time agreed with the caller


class FollowUpRow(Base):
    """回访: the rated call a follow-up order is about (one per call) and, once done, its result."""

    __tablename__ = "follow_ups"
    order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    rated_seat_id: Mapped[str | None] = mapped_column(String(64), index=True)
    rating: Mapped[str] = mapped_column(String(30))
    rated_at: Mapped[datetime] = mapped_column(index=True)
    team_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(40))
    district_code: Mapped[str | None] = mapped_column(String(20))
    reached: Mapped[bool | None] = mapped_column(Boolean)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    done_by: Mapped[str] = mapped_column(String(64), default="")
    done_at: Mapped[datetime | None]


class WorkOrderDayRow(Base):
    """The last work-order number drawn on each China date (`yyyymmdd`): the counter every process
    increments in the transaction that opens the order, so numbers never repeat."""

    __tablename__ = "work_order_days"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class WorkOrderCallRow(Base):
    """Which missed call fed which order. The primary key on call_id makes 'once per call' a fact."""

    __tablename__ = "work_order_calls"
    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]


class CallbackAttemptRow(Base):
    """One callback Originate of a work order; the id (`cb-<order>-<n>`) is also the AMI ActionID."""

    __tablename__ = "callback_attempts"
    __table_args__ = (UniqueConstraint("order_id", "number"),)
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    seat_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
    outcome: Mapped[str | None] = mapped_column(String(30))
    counted: Mapped[bool] = mapped_column(Boolean, default=False)
    retry_at: Mapped[datetime | None]
    call_id: Mapped[str] = mapped_column(String(64), default="")


class WorkOrderMarkRow(Base):
    """Once-only facts about an order (SLA alert sent, required skill): the key makes them once."""

    __tablename__ = "work_order_marks"
    order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime]


class TranscriptRow(Base):
    __tablename__ = "transcripts"
    __table_args__ = (UniqueConstraint("call_id", "leg", "seq", name="uq_transcripts_segment"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    leg: Mapped[str] = mapped_column(String(20))
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    final: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]


class OfficeRow(Base):
    __tablename__ = "offices"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    admin_code: Mapped[str | None] = mapped_column(String(20), index=True)
    district_code: Mapped[str] = mapped_column(String(12), index=True)
    street_code: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    team_id: Mapped[str | None] = mapped_column(String(64))


class SurveyAnswerRow(Base):
    __tablename__ = "survey_answers"
    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seat_id: Mapped[str | None] = mapped_column(String(64), index=True)
    score: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(index=True)


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source_ip: Mapped[str] = mapped_column(String(64), default="")


class ConsultationRecordRow(Base):
    """A seat's consultation record of one call (咨询记录); one per call and seat."""

    __tablename__ = "consultation_records"
    __table_args__ = (UniqueConstraint("call_id", "seat_id", name="uq_consultation_records_call_seat"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    seat_id: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str | None] = mapped_column(String(40))
    question: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(30))
    office_id: Mapped[str | None] = mapped_column(String(64))
    draft: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)


class ShiftRow(Base):
    """One planned shift (排班) of a seat; day `YYYY-MM-DD`, start/end `HH:MM`, China time."""

    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_team_day", "team_id", "day"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(64))
    seat_id: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[str] = mapped_column(String(10))
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))


class SeatStatusLogRow(Base):
    """Every seat state change, append-only: the source of attendance (考勤)."""

    __tablename__ = "seat_status_log"
    __table_args__ = (Index("ix_seat_status_log_seat_at", "seat_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seat_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]


class AppointmentRow(Base):
    """An in-person visit booked at an office (预约), with the SMS text sent to confirm it."""

    __tablename__ = "appointments"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    office_name: Mapped[str] = mapped_column(String(200))
    caller_number: Mapped[str] = mapped_column(String(40), index=True)
    call_id: Mapped[str | None] = mapped_column(String(64))
    when: Mapped[datetime] = mapped_column(index=True)
    booked_at: Mapped[datetime]
    sms_to: Mapped[str | None] = mapped_column(String(40))
    sms_text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="booked")


class SeatPresenceRow(Base):
    """Each seat's login intent as last commanded (seats.presence): restored after a PBX restart."""

    __tablename__ = "seat_presence"
    seat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    logged_in: Mapped[bool] = mapped_column(Boolean)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    at: Mapped[datetime]


class SeatPhoneRow(Base):
    """A seat's SIP phone credentials: rendered into Asterisk's pjsip.conf (`hotline asterisk-conf
    render`). Asterisk needs the password itself (digest auth), so it is kept as given."""

    __tablename__ = "seat_phones"
    seat_id: Mapped[str] = mapped_column(ForeignKey("seats.id"), primary_key=True)
    password: Mapped[str] = mapped_column(String(100))


class SupervisorPhoneRow(Base):
    """A supervisor's (or another console user's) own SIP phone: rendered into pjsip.conf beside the
    seats' phones, and rung first when they listen to a seat's call (班长监听, seats/monitor.py)."""

    __tablename__ = "supervisor_phones"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(40))
    password: Mapped[str] = mapped_column(String(100))


class RoleRightRow(Base):
    """The rights (`core.access.Right`) the admin gave one role (监听/耳语, 强插/强拆, 调度坐席):
    a role without a row holds the settings' defaults (`seats.rights.RoleRights`)."""

    __tablename__ = "role_rights"
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    rights: Mapped[list[str]] = mapped_column(default=list)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(64))


class SteerQueueMovesRow(Base):
    """A seat's queue moves of one China day (`seats.steer`): kept so that an app restart still
    undoes them when the day changes."""

    __tablename__ = "steer_queue_moves"
    seat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(10))  # yyyy-mm-dd, China time
    added: Mapped[list[str]] = mapped_column(default=list)
    removed: Mapped[list[str]] = mapped_column(default=list)


class MonitorSessionRow(Base):
    """A supervisor's monitor under way (`seats.monitor`: 监听 / 耳语 / 强插 / 接管), kept while it lasts
    so that an app restart takes it back (`state`: the session's fields as text)."""

    __tablename__ = "monitor_sessions"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class RecordCheckpointRow(Base):
    """How far the reconciler has read one of Asterisk's record files (queue_log, CDR)."""

    __tablename__ = "record_checkpoints"
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    inode: Mapped[int] = mapped_column(BigInteger, default=0)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    last_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ServicePolicyRow(Base):
    """A service policy supervisors set (e.g. `wrap_up`: how far a seat may extend its wrap-up),
    as JSON; who set it last and when."""

    __tablename__ = "service_policies"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))


class RecordingRow(Base):
    """One recorded segment of a call (录音, `core.recordings.Recording`): the file MixMonitor wrote
    for one channel, its size and SHA-256 when it closed, and whether it is there (`status`)."""

    __tablename__ = "recordings"
    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    segment: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime]
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    answered: Mapped[bool] = mapped_column(Boolean, default=True)
    deleted_at: Mapped[datetime | None]


class RecordingAlertRow(Base):
    """A recording alert (录音告警, `core.recordings.RecordingAlert`): an answered call's segment whose
    file is missing, or (segment 0) an answered call with no recording; once per (call, segment),
    kept after someone acknowledged it (who and when)."""

    __tablename__ = "recording_alerts"
    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    segment: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    district_code: Mapped[str | None] = mapped_column(String(12))
    raised_at: Mapped[datetime] = mapped_column(index=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))  # the user's id
    acknowledged_by_name: Mapped[str] = mapped_column(String(64), default="")  # as shown then
    acknowledged_at: Mapped[datetime | None] = mapped_column(index=True)


class RecordingTranscriptRow(Base):
    """Where the post-call transcript of one recorded segment stands (issue 18): `done` (its lines
    are in `transcripts`, leg `mixed`; `lines` of them) or `failed` (the file could not be decoded:
    `detail` says why, and it is not tried again). A recording with no row here is still to be
    transcribed: that is how the worker picks up, after a restart, what it had not done."""

    __tablename__ = "recording_transcripts"
    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    segment: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    lines: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime]


class VoicemailRow(Base):
    """An after-hours message (来电留言): the recording as Asterisk wrote it, once per call, and the
    work order it fed (none when no order was due, e.g. a hidden number)."""

    __tablename__ = "voicemails"
    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    caller_number: Mapped[str] = mapped_column(String(40))
    recording: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]


class QcItemRow(Base):
    """A call in the quality-inspection queue (质检), once per call: why it was drawn, its score on
    which form version, and its appeal (`stats.quality.QcItem`)."""

    __tablename__ = "qc_items"
    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seat_id: Mapped[str] = mapped_column(String(64), index=True)
    team_id: Mapped[str | None] = mapped_column(String(64), index=True)
    queue: Mapped[str | None] = mapped_column(String(80))
    district_code: Mapped[str | None] = mapped_column(String(12))
    call_at: Mapped[datetime] = mapped_column(index=True)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    flag_note: Mapped[str] = mapped_column(Text, default="")
    marks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the transcript check's
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), index=True)
    form_version: Mapped[int | None] = mapped_column(Integer)
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total: Mapped[int | None] = mapped_column(Integer)
    max_total: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    inspector: Mapped[str | None] = mapped_column(String(64))
    scored_at: Mapped[datetime | None]
    original_total: Mapped[int | None] = mapped_column(Integer)
    appeal_reason: Mapped[str] = mapped_column(Text, default="")
    appealed_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]


class QcFormRow(Base):
    """One version of the QC scoring form an admin set: its items as JSON; never changed."""

    __tablename__ = "qc_forms"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class LawArticleRow(Base):
    """One article of one version of a law (知识库, `knowledge.models.LawArticle`), imported from the
    law database (`store.knowledge.import_laws`); `terms`: its words as the search indexes them."""

    __tablename__ = "law_articles"
    __table_args__ = (Index("ix_law_articles_law_number", "law", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    law_id: Mapped[str] = mapped_column(String(40))
    law: Mapped[str] = mapped_column(String(200))
    chapter: Mapped[str] = mapped_column(String(200), default="")
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    terms: Mapped[str] = mapped_column(Text, default="")


class KnowledgeEntryRow(Base):
    """A Q&A entry or a typical case (`knowledge.models.Entry`) as it stands now."""

    __tablename__ = "knowledge_entries"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), index=True)
    citations: Mapped[list[str]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(20), index=True)
    author: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))


class KnowledgeChangeRow(Base):
    """Every change of an entry, kept for good (`knowledge.models.EntryChange`): who, when, what."""

    __tablename__ = "knowledge_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")


class BoardAlertRow(Base):
    """A board alert episode (告警, `stats.board_alerts.BoardAlert`): raised once, cleared when its
    condition ends (`cleared_at`), who was alerted and how, and who acknowledged it (确认)."""

    __tablename__ = "board_alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    district_code: Mapped[str] = mapped_column(String(12), default="")  # "": the city
    raised_at: Mapped[datetime] = mapped_column(index=True)
    cleared_at: Mapped[datetime | None] = mapped_column(index=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    recipients: Mapped[list[str]] = mapped_column(default=list)  # the supervisors' names
    channel: Mapped[str] = mapped_column(String(20))  # how: 控制台横幅
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))  # the user's name as shown
    acknowledged_at: Mapped[datetime | None]
