from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.clock import CHINA_TZ, ManualClock
from core.errors import InvalidInput
from core.ids import OfficeId
from routing.appointments import book_appointment, send_confirmation
from routing.offices import OfficeRegistry


class FakeSms:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, number: str, text: str) -> None:
        self.sent.append((number, text))


NOW = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA_TZ)


def test_given_mobile_caller_when_booking_then_record_and_chinese_sms(registry: OfficeRegistry) -> None:
    office = registry.get(OfficeId("office-310106021"))
    when = datetime(2026, 11, 24, 10, 30, tzinfo=CHINA_TZ)
    appt = book_appointment(office, "+86 138-0013-8000", when, ManualClock(NOW))
    assert appt.caller_number == appt.sms_to == "13800138000"
    assert appt.booked_at == NOW
    assert "静安区临汾路街道公共法律服务工作站" in appt.sms_text
    assert "2026年11月24日（周二）10:30" in appt.sms_text
    assert appt.id == book_appointment(office, "13800138000", when, ManualClock(NOW)).id


def test_given_landline_when_booking_then_no_sms_target(registry: OfficeRegistry) -> None:
    office = registry.get(OfficeId("office-310106"))
    appt = book_appointment(office, "02162345678", NOW + timedelta(days=1), ManualClock(NOW))
    assert appt.sms_to is None


def test_given_past_time_or_bad_number_when_booking_then_invalid(registry: OfficeRegistry) -> None:
    office = registry.get(OfficeId("office-310106"))
    with pytest.raises(InvalidInput):
        book_appointment(office, "13800138000", NOW + timedelta(minutes=5), ManualClock(NOW))
    with pytest.raises(InvalidInput):
        book_appointment(office, "12345", NOW + timedelta(days=1), ManualClock(NOW))


async def test_given_appointment_when_confirming_then_sms_sent_through_port(registry: OfficeRegistry) -> None:
    office = registry.get(OfficeId("office-310106"))
    appt = book_appointment(office, "13800138000", NOW + timedelta(days=1), ManualClock(NOW))
    sms = FakeSms()
    assert await send_confirmation(appt, sms) is True
    assert sms.sent == [("13800138000", appt.sms_text)]
