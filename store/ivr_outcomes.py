"""`IvrOutcomes`: the IVR's callback requests and after-hours messages become work orders; survey
answers are stored, and a 不满意 one opens its follow-up order (回访)."""

from __future__ import annotations

import logging

from callbacks.models import MissReason
from callbacks.service import CallbackService
from callbacks.voicemail import VoicemailInbox
from core.blocking import offload
from core.events import DomainEvent
from core.ids import TeamId
from core.ivr_events import CallbackReason, CallbackRequested, SurveyAnswered, SurveyRating, VoicemailLeft
from stats.models import Satisfaction, SurveyAnswer
from store.repositories import Repositories

log = logging.getLogger(__name__)

_RATING = {
    SurveyRating.SATISFIED: Satisfaction.SATISFIED,
    SurveyRating.BASICALLY_SATISFIED: Satisfaction.FAIRLY_SATISFIED,
    SurveyRating.DISSATISFIED: Satisfaction.DISSATISFIED,
}


class IvrOutcomes:
    """Bus subscriber: IVR callback requests become work orders; survey answers are stored."""

    EVENT_TYPES: tuple[type[DomainEvent], ...] = (CallbackRequested, SurveyAnswered, VoicemailLeft)

    def __init__(self, repos: Repositories, callbacks: CallbackService | None) -> None:
        self._repos = repos
        self._callbacks = callbacks

    async def handle(self, event: DomainEvent) -> None:
        if isinstance(event, CallbackRequested) and self._callbacks is not None:
            reason = (
                MissReason.AFTER_HOURS
                if event.reason is CallbackReason.AFTER_HOURS
                else MissReason.IVR_REQUEST
            )
            team = TeamId(f"team-{event.district_code}") if event.district_code else None
            await self._callbacks.record_callback_request(
                event.call_id,
                event.caller_number,
                reason,
                event.at,
                event.district_code,
                team,
                queue=event.queue,
                category=event.category,
            )
        elif isinstance(event, VoicemailLeft) and self._callbacks is not None:
            await VoicemailInbox(self._callbacks, self._repos.voicemails).handle(event)
        elif isinstance(event, SurveyAnswered):
            answer = SurveyAnswer(
                call_id=event.call_id, seat_id=event.seat_id or None, score=_RATING[event.rating], at=event.at
            )
            if not await offload(self._repos.surveys.record, answer):
                log.info("survey for call %s already recorded", event.call_id)
            if event.rating is SurveyRating.DISSATISFIED and self._callbacks is not None:
                await self._follow_up(event)

    async def _follow_up(self, event: SurveyAnswered) -> None:
        """回访: the call as stored fills in what the answer does not carry (an older event's
        caller number, the category and district the IVR learnt)."""
        call = await offload(self._repos.calls.find, event.call_id)
        assert self._callbacks is not None
        await self._callbacks.open_follow_up(
            call_id=event.call_id,
            caller_number=event.caller_number or (call.caller_number if call else ""),
            seat_id=event.seat_id or None,
            rating=event.rating,
            at=event.at,
            queue=event.queue or (call.queue if call else None),
            category=call.category if call else None,
            district_code=call.district_code if call else None,
        )
