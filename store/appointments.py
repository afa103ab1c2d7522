"""Appointments (预约) booked at an office, kept as records; the id makes a repeated booking a no-op."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.ids import CallId, OfficeId
from routing.appointments import Appointment
from store.db import Database
from store.models import AppointmentRow


class AppointmentRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, appointment: Appointment, *, call_id: CallId | None = None) -> bool:
        """Store it; False when that appointment is already recorded."""
        with self._db.session() as s:
            if s.get(AppointmentRow, appointment.id) is not None:
                return False
            s.add(
                AppointmentRow(
                    id=appointment.id,
                    office_id=appointment.office_id,
                    office_name=appointment.office_name,
                    caller_number=appointment.caller_number,
                    call_id=call_id,
                    when=appointment.when,
                    booked_at=appointment.booked_at,
                    sms_to=appointment.sms_to,
                    sms_text=appointment.sms_text,
                )
            )
            return True

    def for_office(self, office_id: OfficeId, start: datetime, end: datetime) -> list[Appointment]:
        with self._db.session() as s:
            q = (
                select(AppointmentRow)
                .where(
                    AppointmentRow.office_id == office_id,
                    AppointmentRow.when >= start,
                    AppointmentRow.when < end,
                )
                .order_by(AppointmentRow.when)
            )
            return [
                Appointment(
                    id=r.id,
                    office_id=OfficeId(r.office_id),
                    office_name=r.office_name,
                    caller_number=r.caller_number,
                    when=r.when,
                    booked_at=r.booked_at,
                    sms_text=r.sms_text,
                    sms_to=r.sms_to,
                )
                for r in s.scalars(q)
            ]

    def count(self) -> int:
        with self._db.session() as s:
            return len(list(s.scalars(select(AppointmentRow.id))))
