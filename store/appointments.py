"""Appointments (预约) booked at an office, kept as records; the id makes a repeated booking a no-op.

`AppointmentBooker` turns the IVR's `AppointmentRequested` into such a record and its SMS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from core.blocking import offload
from core.bus import EventBus
from core.clock import Clock
from core.errors import HotlineError
from core.events import DomainEvent
from core.ids import CallId, OfficeId
from core.ivr_events import AppointmentRequested
from core.ports import SmsSender
from routing.appointments import Appointment, book_appointment, first_slot, send_confirmation
from routing.calendar import HolidayCalendar
from routing.offices import OfficeRegistry
from store.db import Database
from store.models import AppointmentRow
from store.rows import Repo, RowMapper, row_values

log = logging.getLogger(__name__)


_appointment_from_row = RowMapper(Appointment)


class AppointmentRepository(Repo):
    def add(self, appointment: Appointment, *, call_id: CallId | None = None) -> bool:
        """Store it; False when that appointment is already recorded."""
        with self._db.session() as s:
            if s.get(AppointmentRow, appointment.id) is not None:
                return False
            s.add(AppointmentRow(**row_values(appointment), call_id=call_id))
            return True

    def for_office(self, office_id: OfficeId, start: datetime, end: datetime) -> list[Appointment]:
        q = (
            select(AppointmentRow)
            .where(
                AppointmentRow.office_id == office_id,
                AppointmentRow.when >= start,
                AppointmentRow.when < end,
            )
            .order_by(AppointmentRow.when)
        )
        return self._list(q, _appointment_from_row)

    def count(self) -> int:
        return self._count(AppointmentRow)


class AppointmentBooker:
    """Bus subscriber: the IVR's AppointmentRequested becomes an appointment record and an SMS."""

    def __init__(
        self,
        *,
        repo: AppointmentRepository,
        registry: Callable[[], OfficeRegistry],
        calendar: HolidayCalendar,
        sms: SmsSender,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._registry = registry
        self._calendar = calendar
        self._sms = sms
        self._clock = clock

    async def handle(self, event: DomainEvent) -> None:
        if not isinstance(event, AppointmentRequested):
            return
        try:
            office = self._registry().get(event.office_id)
            appt = book_appointment(
                office, event.caller_number, first_slot(self._calendar, event.at), self._clock
            )
        except HotlineError as exc:
            log.warning("appointment for call %s not booked: %s", event.call_id, exc.message)
            return
        if await offload(self._repo.add, appt, call_id=event.call_id):
            await send_confirmation(appt, self._sms)


def subscribe_appointments(
    bus: EventBus,
    db: Database,
    *,
    registry: Callable[[], OfficeRegistry],
    calendar: HolidayCalendar,
    sms: SmsSender,
    clock: Clock,
) -> None:
    """Book the IVR's appointment requests (`AppointmentRequested`) into the appointments table."""
    booker = AppointmentBooker(
        repo=AppointmentRepository(db), registry=registry, calendar=calendar, sms=sms, clock=clock
    )
    bus.subscribe("appointments", booker.handle, types=(AppointmentRequested,))
