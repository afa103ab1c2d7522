"""Appointments at an office: the record and the confirmation SMS, computed purely.

Persistence and sending belong to adapters: a repository stores the `Appointment`, and an
`SmsPort` (the shape of `core.ports.SmsSender`) sends `appointment.sms_text`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from core.clock import CHINA_TZ, Clock
from core.errors import InvalidInput
from core.ids import OfficeId
from core.ports import SmsSender
from core.privacy import mask_number
from routing.offices import Office

log = logging.getLogger(__name__)

_WEEKDAYS = "一二三四五六日"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE = re.compile(r"^0\d{9,11}$|^1[3-9]\d{9}$")
MIN_LEAD = timedelta(minutes=30)


class SmsPort(SmsSender, Protocol):
    """What routing needs to send a confirmation; `core.ports.SmsSender` implementations fit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Appointment:
    id: str
    office_id: OfficeId
    office_name: str
    caller_number: str
    when: datetime  # aware
    booked_at: datetime
    sms_text: str
    sms_to: str | None  # None when the number cannot receive SMS (a landline)


def _clean_number(number: str) -> str:
    digits = re.sub(r"[\s\-()]", "", number)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def sms_text(office: Office, when: datetime) -> str:
    local = when.astimezone(CHINA_TZ)
    at = f"{local.year}年{local.month}月{local.day}日（周{_WEEKDAYS[local.weekday()]}）{local:%H:%M}"
    parts = [f"【12348上海法网】您已预约{office.name}，时间：{at}"]
    if office.address:
        parts.append(f"地址：{office.address}")
    if office.phone:
        parts.append(f"电话：{office.phone}")
    parts.append("请携带身份证件及相关材料按时前往；如需改约请拨打12348。")
    return "，".join(parts[:-1]) + "。" + parts[-1]


def book_appointment(office: Office, caller_number: str, when: datetime, clock: Clock) -> Appointment:
    """The appointment record and its SMS; raises `InvalidInput` for a bad number or time."""
    number = _clean_number(caller_number)
    if not _PHONE.match(number):
        raise InvalidInput(f"来电号码无效：{caller_number!r}", caller_number=caller_number)
    if when.tzinfo is None:
        raise InvalidInput("预约时间须带时区")
    now = clock.now()
    if when < now + MIN_LEAD:
        raise InvalidInput("预约时间须至少在 30 分钟之后", when=when.isoformat())
    digest = hashlib.sha256(f"{office.id}|{number}|{when.isoformat()}".encode()).hexdigest()[:20]
    return Appointment(
        id=f"appt-{digest}",
        office_id=office.id,
        office_name=office.name,
        caller_number=number,
        when=when,
        booked_at=now,
        sms_text=sms_text(office, when),
        sms_to=number if _MOBILE.match(number) else None,
    )


async def send_confirmation(appointment: Appointment, sms: SmsPort) -> bool:
    """Send the SMS where the number is a mobile; False when there is nowhere to send it."""
    if appointment.sms_to is None:
        return False
    await sms.send(appointment.sms_to, appointment.sms_text)
    return True


def first_slot(calendar: WorkingDays, now: datetime, *, at: time = time(10, 0)) -> datetime:
    """The default visit time offered on the phone: 10:00 (China time) on the next working day."""
    day = calendar.next_working_day(now.astimezone(CHINA_TZ).date())
    return datetime.combine(day, at, CHINA_TZ)


class WorkingDays(Protocol):
    def next_working_day(self, d: date, /) -> date: ...


class LoggingSmsSender:
    """core.ports.SmsSender that only logs (masked number) and remembers the last messages.

    The default until an SMS gateway adapter is configured: nothing is sent anywhere.
    """

    def __init__(self, *, keep: int = 100) -> None:
        self.sent: list[tuple[str, str]] = []
        self._keep = keep

    async def send(self, number: str, text: str) -> None:
        log.info("SMS to %s: %s", mask_number(number), text)
        self.sent.append((number, text))
        del self.sent[: -self._keep]
