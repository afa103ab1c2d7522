"""回访: the follow-up of a caller who rated a call 不满意. Pure: the values and the rules.

Every 不满意 survey answer (`core.ivr_events.SurveyAnswered`) opens one follow-up work order
(`MissReason.FOLLOW_UP`), keyed by the rated call: the order's id is `follow_up_order_id(call)`
and the store keeps one follow-up per call, so a replayed answer, a restart or a second publisher
opens nothing more. It is a work order like a callback (team pool, claim, assignment, SLA alarms,
the same attempts and retry plan when the caller is phoned), with three differences:

* it never joins the caller's open callback order (nor does a missed call join it): it is about
  one rated call, not about a number waiting to be called back;
* it belongs to the rated seat's team (a supervisor of that scope, or another lawyer of the team,
  handles it) and is never the rated seat's: that seat sees it in its team's pool, but may not
  claim it, be given it, or record its outcome (`RatedSeatExcluded`);
* reaching the caller does not close it: the person who phoned records the outcome (`FollowUpResult`:
  reached or not, resolved or not, the satisfaction after the follow-up, a note). An unreached
  caller counts as a failed attempt of the retry plan, and the order closes as 联系不上 when the
  plan is used up.

Its deadline is `SlaPolicy.follow_up_deadline`: a working day of service time by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import InvalidInput
from core.ids import CallId, SeatId, TeamId, WorkOrderId
from core.ivr_events import SurveyRating
from core.labels import LabelledEnum

FOLLOW_UP_PREFIX = "fu-"
NOTE_MAX = 500


class Rating(LabelledEnum):
    """A caller's satisfaction: the survey's keys, and what is asked again at the follow-up."""

    SATISFIED = SurveyRating.SATISFIED.value, "满意"
    BASICALLY_SATISFIED = SurveyRating.BASICALLY_SATISFIED.value, "基本满意"
    DISSATISFIED = SurveyRating.DISSATISFIED.value, "不满意"

    @property
    def satisfied(self) -> bool:
        return self is not Rating.DISSATISFIED


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpResult:
    """What the person who followed up recorded. `reached` False: 联系不上 (the rest is empty)."""

    reached: bool
    resolved: bool | None = None
    satisfaction: Rating | None = None
    note: str = ""
    by: str = ""
    at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUp:
    """The rated call a follow-up order is about, and (once closed) its result."""

    order_id: WorkOrderId
    call_id: CallId
    rated_seat_id: SeatId | None
    rating: Rating
    rated_at: datetime  # when the caller rated (the end of the call)
    team_id: TeamId | None
    category: str | None = None
    district_code: str | None = None
    result: FollowUpResult | None = None

    @property
    def done(self) -> bool:
        return self.result is not None


def follow_up_order_id(call_id: CallId) -> WorkOrderId:
    """The one follow-up order a rated call may have."""
    return WorkOrderId(f"{FOLLOW_UP_PREFIX}{call_id}")


def parse_result(
    *, reached: bool | None, resolved: bool | None, satisfaction: str | None, note: str, by: str, at: datetime
) -> FollowUpResult:
    """The follow-up form, checked: `InvalidInput` in Chinese for what does not fit."""
    if reached is None:
        raise InvalidInput("请选择是否联系上来电人")
    text = note.strip()
    if len(text) > NOTE_MAX:
        raise InvalidInput(f"回访说明不能超过 {NOTE_MAX} 字")
    if not reached:
        if resolved is not None or satisfaction:
            raise InvalidInput("联系不上时不能填写是否解决和回访后满意度")
        return FollowUpResult(reached=False, note=text, by=by, at=at)
    if resolved is None:
        raise InvalidInput("请选择问题是否已解决")
    if not satisfaction:
        raise InvalidInput("请选择回访后满意度")
    try:
        chosen = Rating(satisfaction)
    except ValueError:
        raise InvalidInput("回访后满意度应为满意、基本满意或不满意", satisfaction=satisfaction) from None
    if not text:
        raise InvalidInput("请填写回访说明")
    return FollowUpResult(reached=True, resolved=resolved, satisfaction=chosen, note=text, by=by, at=at)


def result_note(result: FollowUpResult) -> str:
    """The order's closing note: what was found, then what the person wrote."""
    if not result.reached:
        head = "回访联系不上"
    else:
        assert result.satisfaction is not None
        head = f"回访已联系，问题{'已' if result.resolved else '未'}解决，回访后{result.satisfaction.label}"
    return f"{head}：{result.note}" if result.note else head
