"""Ports of the seat workspace (`seats.workspace`): what it reads from the store and the office
registry. `app` injects the concrete objects (the repositories in `store`, the routing's office
lookup); tests may hand in fakes. Every method here blocks (SQL, or the address index): async code
calls them through `core.blocking.offload`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from core.calls import CallLeg, CallRecord, CallTrailEntry, TranscriptLine
from core.ids import CallId, OfficeId, SeatId, TeamId, WorkOrderId
from routing.nearest import AddressCandidate
from routing.offices import Office
from seats.models import Seat, Team
from seats.records import CheckedRecord, ConsultationRecord, UnsubmittedRecord


class CallHistory(Protocol):
    """Stored calls (`store.repositories.CallRepository`)."""

    def find(self, call_id: CallId) -> CallRecord | None: ...

    def trail(self, call_id: CallId) -> Sequence[CallTrailEntry]: ...

    def recent(self, *, limit: int = 50, caller_number: str | None = None) -> Sequence[CallRecord]: ...

    def third_parties(self, call_ids: Sequence[CallId]) -> Sequence[CallLeg]:
        """The third parties of three-way calls (三方通话) among these calls."""
        ...


class ConsultationRecords(Protocol):
    """Consultation records (`store.consultations.ConsultationRepository`)."""

    def get(self, call_id: CallId, seat_id: SeatId) -> ConsultationRecord | None: ...

    def save(
        self, call_id: CallId, seat_id: SeatId, fields: CheckedRecord, at: datetime, *, final: bool
    ) -> ConsultationRecord: ...

    def for_caller(self, caller_number: str, *, limit: int = 20) -> Sequence[ConsultationRecord]: ...

    def unsubmitted(self, seat_id: SeatId, *, limit: int = 20) -> Sequence[UnsubmittedRecord]: ...


class StoredTranscripts(Protocol):
    """Recognised speech kept in the store (`store.repositories.TranscriptRepository`)."""

    def for_call(self, call_id: CallId) -> Sequence[TranscriptLine]: ...


class SeatDirectory(Protocol):
    """One seat by id (`store.repositories.SeatRepository`); raises `core.errors.NotFound`."""

    def get(self, seat_id: SeatId) -> Seat: ...


class SeatRoster(SeatDirectory, Protocol):
    """Every seat too."""

    def all(self) -> Sequence[Seat]: ...


class TeamDirectory(Protocol):
    """One team by id (`store.repositories.TeamRepository`)."""

    def get(self, team_id: TeamId) -> Team: ...


class Labelled(Protocol):
    @property
    def label(self) -> str: ...


class OrderStatus(Labelled, Protocol):
    @property
    def is_open(self) -> bool: ...


class CallerOrder(Protocol):
    """A callback work order as the caller's file shows it (`callbacks.models.WorkOrder`)."""

    @property
    def id(self) -> str: ...

    @property
    def order_no(self) -> str: ...

    @property
    def caller_number(self) -> str: ...

    @property
    def status(self) -> OrderStatus: ...

    @property
    def reason(self) -> Labelled: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def deadline(self) -> datetime: ...

    @property
    def attempts(self) -> int: ...


class CallerOrders(Protocol):
    """Work orders by caller number (`store.repositories.WorkOrderRepository`)."""

    def for_number(self, caller_number: str, *, limit: int = 20) -> Sequence[CallerOrder]: ...

    def get(self, order_id: WorkOrderId) -> CallerOrder:
        """Raises `core.errors.NotFound`."""
        ...


class OfficeDirectory(Protocol):
    """`routing.offices.OfficeRegistry`; `get` raises `core.errors.NotFound`."""

    def get(self, office_id: OfficeId) -> Office: ...


class OfficeLookup(Protocol):
    """The routing's office lookup: the registry in use (admins' edits included) and the address
    search over it."""

    @property
    def registry(self) -> OfficeDirectory: ...

    def lookup(self, text: str) -> Sequence[AddressCandidate]: ...
