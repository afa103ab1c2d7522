from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app.runtime import Runtime
from core.clock import CHINA_TZ, ManualClock
from core.ids import CallId, OfficeId
from core.ivr_events import AppointmentRequested
from routing.appointments import LoggingSmsSender
from store.appointments import AppointmentRepository
from tests.support.app import demo_test_settings

# Friday 2026-09-25 11:00 in Shanghai, first day of the Mid-Autumn holiday (09-25..27): the next
# working day is Monday 09-28.
NOW = datetime(2026, 9, 25, 3, 0, tzinfo=UTC)


async def test_given_an_ivr_appointment_request_when_handled_then_a_record_and_one_sms_for_the_next_working_day(
    tmp_path: Path,
) -> None:
    settings = demo_test_settings(tmp_path, "appt.db")
    runtime = Runtime(settings, clock=ManualClock(NOW))
    await runtime.start()
    try:
        request = AppointmentRequested(
            at=NOW,
            call_id=CallId("c-appt"),
            caller_number="13800138000",
            office_id=OfficeId("office-310106021"),
            office_name="",
            district_code="310106",
            spoken_address="我住在静安区临汾路街道",
        )
        await runtime.bus.publish(request)
        await runtime.bus.publish(request)  # a repeated event books nothing twice
        await runtime.bus.drain()
        assert runtime.repos.db is not None
        repo = AppointmentRepository(runtime.repos.db)
        monday = datetime(2026, 9, 28, tzinfo=CHINA_TZ)
        (appt,) = repo.for_office(
            OfficeId("office-310106021"), monday, datetime(2026, 9, 29, tzinfo=CHINA_TZ)
        )
        assert appt.when == datetime(2026, 9, 28, 10, 0, tzinfo=CHINA_TZ)
        assert "临汾路" in appt.office_name
        sms = runtime.sms
        assert isinstance(sms, LoggingSmsSender)
        assert len(sms.sent) == 1
        number, text = sms.sent[0]
        assert number == "13800138000" and "2026年9月28日（周一）10:00" in text and appt.office_name in text
    finally:
        await runtime.stop()


async def test_given_an_unknown_office_or_a_landline_when_requested_then_no_sms_and_no_crash(
    tmp_path: Path,
) -> None:
    settings = demo_test_settings(tmp_path, "appt2.db")
    runtime = Runtime(settings, clock=ManualClock(NOW))
    await runtime.start()
    try:
        base = {"at": NOW, "office_name": "", "district_code": "310106", "spoken_address": ""}
        await runtime.bus.publish(
            AppointmentRequested(
                call_id=CallId("c1"), caller_number="13800138000", office_id=OfficeId("office-nope"), **base
            )  # type: ignore[arg-type]
        )
        await runtime.bus.publish(
            AppointmentRequested(
                call_id=CallId("c2"), caller_number="02161234567", office_id=OfficeId("office-310106"), **base
            )  # type: ignore[arg-type]
        )
        await runtime.bus.drain()
        assert runtime.repos.db is not None
        assert AppointmentRepository(runtime.repos.db).count() == 1  # the landline's visit is booked
        assert isinstance(runtime.sms, LoggingSmsSender) and runtime.sms.sent == []  # but cannot get an SMS
    finally:
        await runtime.stop()
