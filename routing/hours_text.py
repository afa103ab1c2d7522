"""The service hours as the after-hours prompt speaks them, from the rules routing itself uses.

The IVR decides "open or not" with the queue rules' [city_hours] on the holiday calendar's
working days (on every day with `every_day = true`) (`ivr.adapters.RoutingServiceHours`); the prompt that tells a caller the
hours is filled from the same `QueueRules`, so the two cannot disagree.
"""

from __future__ import annotations

from datetime import time

from routing.queues import END_OF_DAY, QueueRules, ServiceHours


def speak_time(t: time) -> str:
    """09:00 -> 上午9点; 12:00 -> 中午12点; 17:30 -> 下午5点半; 20:00 -> 晚上8点."""
    if t.hour < 12:
        part, hour = "上午", t.hour
    elif t.hour < 13:
        part, hour = "中午", t.hour
    elif t.hour < 18:
        part, hour = "下午", t.hour - 12
    else:
        part, hour = "晚上", t.hour - 12
    if t.minute == 0:
        minutes = ""
    elif t.minute == 30:
        minutes = "半"
    else:
        minutes = f"{t.minute}分"
    return f"{part}{hour}点{minutes}"


def speak_hours(hours: ServiceHours) -> str:
    if hours.every_day and hours.all_day:
        return "全天24小时（含周末和法定节假日）"
    close = "晚上12点" if hours.close == END_OF_DAY else speak_time(hours.close)
    if hours.every_day:
        return f"每天{speak_time(hours.open)}至{close}（含周末和法定节假日）"
    return f"工作日{speak_time(hours.open)}至{close}（法定节假日除外）"


DEMO_HOURS_TEXT = "演示模式：全天24小时（含周末和法定节假日）"


def service_hours_text(rules: QueueRules) -> str:
    """When a human answers 12348: the city pool's hours on working days (调休 included); the
    demo's rules (`routing.queues.around_the_clock`) say so instead."""
    if rules.always_open:
        return DEMO_HOURS_TEXT
    return speak_hours(rules.city_hours)
