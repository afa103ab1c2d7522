"""The `ivr` FastAGI script against a fake Asterisk on a real socket: menus, hours, waits, hangups."""

from __future__ import annotations

import pytest

from core.ivr_events import (
    CallbackReason,
    CallbackRequested,
    IvrAbandoned,
    IvrOutcome,
    IvrReason,
    IvrRouted,
    VoicemailLeft,
)
from ivr.fakes import Hangup, Key, RecordFails, Silence
from ivr.ports import WaitEstimate

CONSULT = [
    ("1", "family", "婚姻家庭"),
    ("2", "labor", "劳动争议"),
    ("3", "contract", "合同纠纷"),
    ("4", "property", "房产物业"),
    ("5", "traffic", "交通事故"),
    ("6", "other", "其他法律问题"),
]
SERVICES = [("1", "notary", "公证"), ("2", "forensic", "司法鉴定"), ("3", "mediation", "人民调解")]


@pytest.mark.parametrize(("key", "category", "label"), CONSULT)
async def test_given_open_hours_when_caller_picks_consult_category_then_queue_and_variables_are_set(
    rig, key, category, label
):
    asterisk = await rig.call([Key("1"), Key(key)])

    (routed,) = rig.events(IvrRouted)
    assert routed.outcome is IvrOutcome.QUEUE
    assert routed.reason is IvrReason.MENU_CHOICE
    assert routed.category == category
    assert routed.queue == f"q-city-{category}"
    assert routed.path == ("main:1", f"consult:{key}")
    assert routed.path_labels == ("法律咨询", label)
    assert routed.call_id == "1795299094.0"
    assert routed.caller_number == "caller1"
    assert asterisk.variables["HOTLINE_QUEUE"] == f"q-city-{category}"
    assert asterisk.variables["HOTLINE_CATEGORY"] == category
    assert asterisk.variables["HOTLINE_IVR_PATH"] == f"main:1/consult:{key}"
    assert asterisk.variables["HOTLINE_NEXT"] == "queue"
    assert "hotline/to_seat" in asterisk.prompts_played


async def test_given_legal_aid_key_when_pressed_then_announced_and_routed_to_legal_aid(rig):
    asterisk = await rig.call([Key("2")])

    (routed,) = rig.events(IvrRouted)
    assert routed.category == "legal-aid"
    assert asterisk.prompts_played[-1] == "hotline/legal_aid"
    assert rig.router.calls == [(None, "legal-aid")]


@pytest.mark.parametrize(("key", "category", "label"), SERVICES)
async def test_given_services_menu_when_caller_picks_a_service_then_its_skill_is_chosen(
    rig, key, category, label
):
    asterisk = await rig.call([Key("3"), Key(key)])

    (routed,) = rig.events(IvrRouted)
    assert routed.category == category
    assert routed.path_labels[-1] == label
    assert asterisk.prompts_played[-1] == f"hotline/{category}"


async def test_given_a_sub_menu_when_caller_presses_star_then_back_to_main_menu(rig):
    await rig.call([Key("1"), Key("*"), Key("2")])

    (routed,) = rig.events(IvrRouted)
    assert routed.category == "legal-aid"
    assert routed.path == ("main:1", "consult:*", "main:2")


async def test_given_main_menu_when_caller_presses_9_then_menu_repeats_without_counting_a_failure(rig):
    asterisk = await rig.call([Key("9"), Key("9"), Key("9"), Key("2")])

    menus = [p for p in asterisk.prompts_played if p == "hotline/main_menu"]
    assert len(menus) == 4
    assert rig.events(IvrRouted)[0].category == "legal-aid"


async def test_given_main_menu_when_caller_presses_0_then_human_seat(rig):
    asterisk = await rig.call([Key("0")])

    (routed,) = rig.events(IvrRouted)
    assert routed.reason is IvrReason.CALLER_ASKED_HUMAN
    assert routed.category == "other"
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-city-other"
    assert "hotline/to_human" in asterisk.prompts_played


async def test_given_sub_menu_when_caller_presses_0_then_human_seat(rig):
    await rig.call([Key("1"), Key("0")])

    assert rig.events(IvrRouted)[0].reason is IvrReason.CALLER_ASKED_HUMAN


async def test_given_greeting_when_caller_presses_a_key_during_it_then_key_is_the_menu_choice(rig):
    asterisk = await rig.call([Key("2", barge=True)])

    assert rig.events(IvrRouted)[0].category == "legal-aid"
    assert "hotline/main_menu" not in asterisk.prompts_played


async def test_given_invalid_key_when_pressed_once_then_reprompted(rig):
    asterisk = await rig.call([Key("7"), Key("2")])

    assert "hotline/invalid" in asterisk.prompts_played
    assert rig.events(IvrRouted)[0].category == "legal-aid"


async def test_given_no_key_when_timeout_once_then_reprompted(rig):
    asterisk = await rig.call([Silence(), Key("2")])

    assert "hotline/no_input" in asterisk.prompts_played
    assert rig.events(IvrRouted)[0].category == "legal-aid"


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        ([Silence(), Silence(), Silence()], IvrReason.NO_INPUT),
        ([Key("7"), Key("8"), Key("#")], IvrReason.INVALID_INPUT),
        ([Key("1"), Key("8"), Silence(), Key("7")], IvrReason.INVALID_INPUT),
    ],
)
async def test_given_three_failed_tries_when_menu_gives_up_then_caller_goes_to_a_human(rig, inputs, reason):
    asterisk = await rig.call(inputs)

    (routed,) = rig.events(IvrRouted)
    assert routed.reason is reason
    assert routed.outcome is IvrOutcome.QUEUE
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-city-other"
    assert asterisk.prompts_played[-1] == "hotline/to_human"


async def test_given_after_hours_when_caller_presses_1_then_callback_requested(rig):
    rig.hours.open = False

    asterisk = await rig.call([Key("1")])

    (callback,) = rig.events(CallbackRequested)
    assert callback.reason is CallbackReason.AFTER_HOURS
    assert callback.call_id == "1795299094.0"
    assert callback.caller_number == "caller1"
    assert asterisk.variables["HOTLINE_CALLBACK"] == "1"
    assert asterisk.variables["HOTLINE_NEXT"] == "callback"
    assert "hotline/main_menu" not in asterisk.prompts_played
    assert rig.events(IvrRouted)[0].outcome is IvrOutcome.CALLBACK


@pytest.mark.parametrize("inputs", [[Silence()], [Key("5")]])
async def test_given_after_hours_when_caller_does_not_press_1_then_after_hours_pool(rig, inputs):
    rig.hours.open = False

    asterisk = await rig.call(inputs)

    assert rig.events(CallbackRequested) == []
    (routed,) = rig.events(IvrRouted)
    assert routed.reason is IvrReason.AFTER_HOURS
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-afterhours"
    assert asterisk.variables["HOTLINE_CALLBACK"] == ""


@pytest.mark.parametrize("estimate", [WaitEstimate(600.0), WaitEstimate(None, full=True)])
async def test_given_long_wait_when_caller_presses_1_then_callback_requested(rig, estimate):
    rig.waits.estimate_value = estimate

    asterisk = await rig.call([Key("1"), Key("2"), Key("1")])

    (callback,) = rig.events(CallbackRequested)
    assert callback.reason is CallbackReason.LONG_WAIT
    assert callback.category == "labor"
    assert callback.queue == "q-city-labor"
    assert callback.path == ("main:1", "consult:2", "long_wait:1")
    assert asterisk.variables["HOTLINE_CALLBACK"] == "1"
    assert "hotline/long_wait_offer" in asterisk.prompts_played


async def test_given_long_wait_when_caller_declines_then_queued_anyway(rig):
    rig.waits.estimate_value = WaitEstimate(600.0)

    asterisk = await rig.call([Key("2"), Silence()])

    assert rig.events(CallbackRequested) == []
    assert asterisk.variables["HOTLINE_NEXT"] == "queue"


async def test_given_short_wait_when_routed_then_no_callback_offered(rig):
    asterisk = await rig.call([Key("2")])

    assert "hotline/long_wait_offer" not in asterisk.prompts_played


@pytest.mark.parametrize("style", ["result", "line", "dead"])
async def test_given_main_menu_when_caller_hangs_up_then_abandoned_says_where(rig, style):
    await rig.call([Key("1"), Hangup(style)])

    (abandoned,) = rig.events(IvrAbandoned)
    assert abandoned.where == "menu:consult"
    assert abandoned.path == ("main:1",)
    assert abandoned.call_id == "1795299094.0"
    assert rig.events(IvrRouted) == []


async def test_given_greeting_when_caller_hangs_up_then_abandoned_in_greeting(rig):
    await rig.call([Hangup()])

    assert rig.events(IvrAbandoned)[0].where == "greeting"


async def test_given_after_hours_offer_when_caller_hangs_up_then_abandoned_after_hours(rig):
    rig.hours.open = False

    await rig.call([Hangup("line", at="hotline/after_hours")])

    assert rig.events(IvrAbandoned)[0].where == "after_hours"


async def test_given_linkedid_unknown_when_call_runs_then_uniqueid_is_the_call_id(rig):
    await rig.call([Key("2")], variables={"CHANNEL(linkedid)": None})

    assert rig.events(IvrRouted)[0].call_id == "1795299094.0"


async def test_given_a_missing_prompt_file_when_played_then_call_goes_on(rig):
    asterisk = await rig.call([Key("2")], missing_prompts=frozenset({"hotline/greeting"}))

    assert "CHANNEL STATUS" in asterisk.commands
    assert rig.events(IvrRouted)[0].category == "legal-aid"


async def test_given_typical_call_when_routed_then_agi_command_sequence_is_as_documented(rig):
    asterisk = await rig.call([Key("1"), Key("2")])

    assert asterisk.commands == [
        "GET VARIABLE CHANNEL(linkedid)",
        "ANSWER",
        'STREAM FILE hotline/greeting "0123456789*#"',
        "GET DATA hotline/main_menu 6000 1",
        "GET DATA hotline/consult_menu 6000 1",
        'STREAM FILE hotline/to_seat ""',
        'SET VARIABLE HOTLINE_NEXT "queue"',
        'SET VARIABLE HOTLINE_REASON "menu_choice"',
        'SET VARIABLE HOTLINE_QUEUE "q-city-labor"',
        'SET VARIABLE HOTLINE_CATEGORY "labor"',
        'SET VARIABLE HOTLINE_DISTRICT ""',
        'SET VARIABLE HOTLINE_OFFICE ""',
        'SET VARIABLE HOTLINE_IVR_PATH "main:1/consult:2"',
        'SET VARIABLE HOTLINE_CALLBACK ""',
    ]


# -- after hours: a message (留言) --------------------------------------------------------------


@pytest.mark.parametrize(("ends", "status"), [(Key("#"), "DTMF"), (Silence(), "SILENCE")])
async def test_given_after_hours_when_caller_presses_2_then_message_recorded_after_a_beep(rig, ends, status):
    rig.hours.open = False

    asterisk = await rig.call([Key("2"), ends])

    assert asterisk.prompts_played[-3:-1] == ["hotline/voicemail_ask", "hotline/beep"]
    assert asterisk.prompts_played[-1] == "hotline/voicemail_done"
    (args,) = asterisk.recordings
    assert args == "/var/spool/asterisk/hotline-voicemail/1795299094.0.wav,5,120,qk"
    (message,) = rig.events(VoicemailLeft)
    assert message.recording == "/var/spool/asterisk/hotline-voicemail/1795299094.0.wav"
    assert (message.status, message.saved, message.caller_number) == (status, True, "caller1")
    assert message.path == ("after_hours:2",)
    routed = rig.events(IvrRouted)[0]
    assert (routed.outcome, routed.reason) == (IvrOutcome.CALLBACK, IvrReason.VOICEMAIL)
    assert asterisk.variables["HOTLINE_NEXT"] == "callback"
    assert rig.events(CallbackRequested) == []


@pytest.mark.parametrize("style", ["result", "line", "dead"])
async def test_given_a_message_when_caller_hangs_up_while_recording_then_what_was_said_is_kept(rig, style):
    rig.hours.open = False

    await rig.call([Key("2"), Hangup(style, at="record")])

    (message,) = rig.events(VoicemailLeft)
    assert (message.status, message.saved) == ("HANGUP", True)
    assert message.recording.endswith("/1795299094.0.wav")
    assert rig.events(IvrAbandoned)[0].where == "voicemail"


async def test_given_a_message_when_record_fails_then_the_caller_is_told_and_it_is_published_unsaved(rig):
    rig.hours.open = False

    asterisk = await rig.call([Key("2"), RecordFails()])

    (message,) = rig.events(VoicemailLeft)
    assert (message.status, message.saved, message.recording) == ("ERROR", False, "")
    assert asterisk.prompts_played[-1] == "hotline/voicemail_failed"
    assert rig.events(IvrRouted)[0].why == "非工作时间留言（未能保存）"
