"""Spoken address -> nearest office, and the `survey` script, over a real FastAGI socket."""

from __future__ import annotations

import pytest

from core.ivr_events import (
    AppointmentRequested,
    IvrAbandoned,
    IvrOutcome,
    IvrReason,
    IvrRouted,
    SurveyAnswered,
    SurveyRating,
)
from ivr.fakes import Hangup, Key, Silence
from ivr.ports import AddressVerdict
from ivr.variables import SCRIPT_SURVEY

SAID = "静安区南京西路街道"
SEAT = {"MEMBERNAME": "seat-1001", "MEMBERINTERFACE": "PJSIP/1001", "HOTLINE_QUEUE": "q-310106-labor"}


def audiosocket_execs(asterisk):
    return [c for c in asterisk.commands if c.startswith("EXEC AudioSocket ")]


async def test_given_known_address_when_confirmed_and_booked_then_appointment_requested(rig):
    rig.capture.add(SAID)

    asterisk = await rig.call([Key("4"), Silence(), Key("1"), Key("1")])

    (execd,) = audiosocket_execs(asterisk)
    stream_id = execd.split()[2].split(",")[0]
    assert rig.capture.stream_ids == [stream_id]
    assert execd.endswith(",127.0.0.1:9092")
    assert rig.lookup.texts == [SAID]
    assert "静安区公共法律服务中心" in rig.synth.texts[0] and "常德路1000号" in rig.synth.texts[0]
    assert "hotline/dyn/tts-1" in asterisk.prompts_played
    (appointment,) = rig.events(AppointmentRequested)
    assert appointment.office_id == "office-310106-centre"
    assert appointment.spoken_address == SAID
    (routed,) = rig.events(IvrRouted)
    assert routed.outcome is IvrOutcome.HANGUP
    assert routed.reason is IvrReason.APPOINTMENT
    assert routed.district_code == "310106"
    assert asterisk.variables["HOTLINE_DISTRICT"] == "310106"
    assert asterisk.variables["HOTLINE_OFFICE"] == "office-310106-centre"
    assert asterisk.variables["HOTLINE_NEXT"] == "hangup"


async def test_given_office_read_back_when_caller_declines_appointment_then_goodbye(rig):
    rig.capture.add(SAID)

    asterisk = await rig.call([Key("4"), Key("1", barge=True), Key("2")])

    assert rig.events(AppointmentRequested) == []
    assert rig.events(IvrRouted)[0].reason is IvrReason.OFFICE_FOUND
    assert asterisk.prompts_played[-1] == "hotline/goodbye"


async def test_given_office_found_when_caller_asks_human_then_queue_of_that_district(rig):
    rig.capture.add(SAID)

    asterisk = await rig.call([Key("4"), Silence(), Key("1"), Key("0")])

    assert rig.router.calls[-1] == ("310106", "other")
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-310106-other"


async def test_given_wrong_office_when_caller_presses_2_then_says_it_again(rig):
    rig.capture.add("静安区", SAID)
    rig.lookup.known["静安区"] = rig.lookup.known[SAID]

    asterisk = await rig.call([Key("4"), Silence(), Key("2"), Silence(), Key("1"), Key("1")])

    assert len(audiosocket_execs(asterisk)) == 2
    assert rig.lookup.texts == ["静安区", SAID]
    assert len(rig.events(AppointmentRequested)) == 1


@pytest.mark.parametrize("transcripts", [[None, None], ["", "  "]])
async def test_given_nothing_recognised_when_tries_run_out_then_keypad_menu_then_human_fallback(
    rig, transcripts, book
):
    rig.capture.add(*transcripts)

    asterisk = await rig.call([Key("4")])  # no key in the district menu either

    assert len(audiosocket_execs(asterisk)) == book.settings.address_max_tries
    assert asterisk.prompts_played.count("hotline/address_not_heard") == 2
    assert asterisk.prompts_played.count("hotline/district_menu_1") == book.settings.max_tries
    (routed,) = rig.events(IvrRouted)
    assert routed.reason is IvrReason.ADDRESS_NOT_RECOGNISED
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-city-other"


async def test_given_unknown_address_when_tries_run_out_then_keypad_menu_then_human_fallback(rig):
    rig.capture.add("火星大道1号", "月球路2号")

    asterisk = await rig.call([Key("4")])

    assert asterisk.prompts_played.count("hotline/address_unknown") == 2
    assert "hotline/district_keypad_unheard" in asterisk.prompts_played
    assert rig.events(IvrRouted)[0].reason is IvrReason.ADDRESS_UNKNOWN


async def test_given_unknown_then_known_address_when_said_again_then_office_found(rig):
    rig.capture.add("火星大道1号", SAID)

    await rig.call([Key("4"), Silence(), Key("1"), Key("2")])

    assert rig.events(IvrRouted)[0].office_id == "office-310106-centre"


async def test_given_address_prompt_when_caller_hangs_up_during_speech_then_abandoned_there(rig):
    rig.capture.add(SAID)

    await rig.call([Key("4"), Hangup("line")])

    assert rig.events(IvrAbandoned)[0].where == "address:speak"


async def test_given_confirmation_when_caller_stays_silent_then_human(rig):
    rig.capture.add(SAID)

    await rig.call([Key("4"), Silence(), Silence(), Silence(), Silence(), Silence(), Silence()])

    assert rig.events(IvrRouted)[0].reason is IvrReason.NO_INPUT


@pytest.mark.parametrize(
    ("key", "rating"),
    [
        ("1", SurveyRating.SATISFIED),
        ("2", SurveyRating.BASICALLY_SATISFIED),
        ("3", SurveyRating.DISSATISFIED),
    ],
)
async def test_given_seat_hung_up_when_caller_rates_then_survey_answered(rig, key, rating):
    asterisk = await rig.call([Key(key)], script=SCRIPT_SURVEY, variables=SEAT)

    (answer,) = rig.events(SurveyAnswered)
    assert answer.rating is rating
    assert answer.seat_id == "1001"
    assert answer.call_id == "1795299094.0"
    assert answer.queue == "q-310106-labor"
    assert answer.transferred is False
    assert asterisk.variables["HOTLINE_SURVEYED"] == "1"
    assert asterisk.prompts_played[-1] == "hotline/survey_thanks"


async def test_given_survey_when_caller_gives_no_answer_then_no_event_and_goodbye(rig):
    asterisk = await rig.call([Silence(), Key("7")], script=SCRIPT_SURVEY, variables=SEAT)

    assert rig.events(SurveyAnswered) == []
    assert asterisk.prompts_played.count("hotline/survey_ask") == 2
    assert asterisk.prompts_played[-1] == "hotline/goodbye"


async def test_given_caller_already_surveyed_when_survey_reached_again_then_not_asked(rig):
    asterisk = await rig.call([Key("1")], script=SCRIPT_SURVEY, variables={**SEAT, "HOTLINE_SURVEYED": "1"})

    assert rig.events(SurveyAnswered) == []
    assert asterisk.prompts_played == []


async def test_given_transferred_caller_when_rated_once_then_event_marks_transfer(rig):
    await rig.call([Key("1")], script=SCRIPT_SURVEY, variables={**SEAT, "HOTLINE_TRANSFERRED": "1"})

    assert rig.events(SurveyAnswered)[0].transferred is True


async def test_given_no_seat_answered_when_survey_reached_then_not_asked(rig):
    asterisk = await rig.call([Key("1")], script=SCRIPT_SURVEY)

    assert rig.events(SurveyAnswered) == []
    assert asterisk.prompts_played == []


async def test_given_survey_when_caller_hangs_up_then_no_event_and_no_crash(rig):
    await rig.call([Hangup()], script=SCRIPT_SURVEY, variables=SEAT)
    await rig.call([Key("2")], script=SCRIPT_SURVEY, variables=SEAT)

    assert [e.rating for e in rig.events(SurveyAnswered)] == [SurveyRating.BASICALLY_SATISFIED]


async def test_given_outside_then_ambiguous_address_when_tries_run_out_then_seat_gets_last_verdict(rig):
    # What the seat's screen pop shows comes with IvrRouted: the lookup's outcome and note on the
    # caller's last words (an earlier try's verdict is replaced).
    rig.capture.add("杭州市西湖区", "浦东果园村")
    rig.lookup.verdicts["杭州市西湖区"] = AddressVerdict("outside", "来电者说的不是上海地址：杭州市西湖区")
    rig.lookup.verdicts["浦东果园村"] = AddressVerdict("ambiguous", "可能是：A 或 B，请向来电人确认")

    await rig.call([Key("4"), Key("2")])  # 2 after "not in Shanghai": say it again

    (routed,) = rig.events(IvrRouted)
    assert routed.reason is IvrReason.ADDRESS_UNKNOWN
    assert routed.spoken_address == "浦东果园村"
    assert (routed.address_outcome, routed.address_note) == ("ambiguous", "可能是：A 或 B，请向来电人确认")


async def test_given_known_address_when_routed_then_found_verdict_on_the_event(rig):
    rig.capture.add(SAID)

    await rig.call([Key("4"), Silence(), Key("1"), Key("2")])

    (routed,) = rig.events(IvrRouted)
    assert routed.address_outcome == "found"
    assert "静安区公共法律服务中心" in routed.address_note
