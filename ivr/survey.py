"""The satisfaction survey, FastAGI script `survey`.

The dialplan reaches it after `Queue(...,c,...)` returns with the caller still on the line, that
is when the seat hung up (option `c`: continue in the dialplan if the callee hangs up) and a
member had answered (`MEMBERINTERFACE` set by `setinterfacevar = yes`). When the caller hangs up
first, Asterisk runs no further priority on that channel, so nobody is asked to rate a call they
ended. `HOTLINE_SURVEYED` is set before asking, so a caller who comes back to this point after
a transfer is not asked twice.
"""

from __future__ import annotations

import logging

from core.bus import EventPublisher
from core.call_events import seat_id_from_member
from core.clock import Clock
from core.ivr_events import SurveyAnswered, SurveyRating
from ivr.errors import CallerHungUp
from ivr.menu import MenuBook
from ivr.ports import AgiChannel
from ivr.service import call_id_of
from ivr.variables import MEMBERINTERFACE, MEMBERNAME, ChannelVar

log = logging.getLogger(__name__)

RATINGS = {
    "1": SurveyRating.SATISFIED,
    "2": SurveyRating.BASICALLY_SATISFIED,
    "3": SurveyRating.DISSATISFIED,
}


class SurveyService:
    def __init__(self, book: MenuBook, *, publisher: EventPublisher, clock: Clock) -> None:
        self._book = book
        self._publisher = publisher
        self._clock = clock

    async def run(self, ch: AgiChannel) -> None:
        try:
            await self._run(ch)
        except CallerHungUp:
            # A caller who hangs up instead of rating simply gives no rating.
            log.info("caller hung up during the survey on %s", ch.env.channel)

    async def _run(self, ch: AgiChannel) -> None:
        if await ch.get_variable(ChannelVar.SURVEYED):
            return
        member = await ch.get_variable(MEMBERNAME) or ""
        interface = await ch.get_variable(MEMBERINTERFACE) or ""
        if not (member or interface):
            return  # no seat answered: nothing to rate
        call_id = await call_id_of(ch)
        queue = await ch.get_variable(ChannelVar.QUEUE)
        transferred = bool(await ch.get_variable(ChannelVar.TRANSFERRED))
        await ch.set_variable(ChannelVar.SURVEYED, "1")
        cfg = self._book.settings
        for _ in range(cfg.survey_max_tries):
            key = await ch.get_data(self._book.prompt("survey_ask"), cfg.digit_timeout_s, 1)
            rating = RATINGS.get(key)
            if rating is not None:
                await self._publisher.publish(
                    SurveyAnswered(
                        at=self._clock.now(),
                        call_id=call_id,
                        seat_id=seat_id_from_member(member, interface),
                        rating=rating,
                        queue=queue or None,
                        transferred=transferred,
                        caller_number=ch.env.callerid,
                    )
                )
                await ch.stream_file(self._book.prompt("survey_thanks"))
                return
            await ch.stream_file(self._book.prompt("invalid" if key else "no_input"))
        await ch.stream_file(self._book.prompt("goodbye"))
