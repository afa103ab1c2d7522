"""Domain events as the IVR publishes them, for tests that feed a call's story by hand."""

from __future__ import annotations

from datetime import datetime

from core.ids import CallId
from core.ivr_events import IvrOutcome, IvrReason, IvrRouted

LABOR_PATH_LABELS = ("法律咨询", "劳动争议")


def routed_to_jingan_labor(call_id: str, caller_number: str, at: datetime, *, why: str) -> IvrRouted:
    """The IVR sent the caller to Jing'an's labour queue by menu keys 1 then 2."""
    return IvrRouted(
        at=at,
        call_id=CallId(call_id),
        caller_number=caller_number,
        outcome=IvrOutcome.QUEUE,
        reason=IvrReason.MENU_CHOICE,
        why=why,
        path=("main:1", "consult:2"),
        path_labels=LABOR_PATH_LABELS,
        queue="q-310106-labor",
        category="labor",
        district_code="310106",
    )
