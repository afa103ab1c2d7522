"""Recognition too slow at the spoken-address step -> the keypad district menu (按键选择区), over a
real FastAGI socket: routed to the chosen district, re-prompted on wrong keys, and a caller who
hangs up in the menu still leaves what happened on the call's record."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from core.call_view import CallView, project_call
from core.calls import CallRecord, CallStatus, CallTrailEntry
from core.events import to_wire
from core.ids import CallId, EventId
from core.ivr_events import IvrAbandoned, IvrOutcome, IvrReason, IvrRouted
from ivr.fakes import Hangup, Key, Late, Silence
from ivr.menu import load_menu
from ivr.service import DISTRICT_PAGES
from routing.districts import DISTRICTS


def slow(rig, text: str = "静安区南京西路街道", delay_s: float = 2.0) -> None:
    """The recogniser will answer, but later than the IVR waits (`speech_timeout_s`: 0.2 s here)."""
    rig.capture.add(Late(text, delay_s))


def test_given_the_menu_file_when_pages_read_then_each_key_names_its_district_in_the_prompt():
    prompts = load_menu().prompts
    assert sorted(c for page in DISTRICT_PAGES for c in page.values()) == sorted(DISTRICTS)
    for number, page in enumerate(DISTRICT_PAGES, 1):
        text = prompts[f"district_menu_{number}"]
        said = dict(re.findall(r"([\u4e00-\u9fff]+区)请按(\d)", text))
        said.pop("其他区", None)
        assert said == {DISTRICTS[code]: key for key, code in page.items()}
    assert "其他区请按9" in prompts["district_menu_1"]
    assert "返回上一页请按星号键" in prompts["district_menu_2"]


async def test_given_slow_recogniser_when_caller_keys_a_district_then_routed_there(rig):
    slow(rig)

    asterisk = await rig.call([Key("4"), Key("4")])  # 4 at the main menu, then 4 = 静安区

    assert len(rig.capture.stream_ids) == 1
    assert rig.lookup.texts == []  # the late text is never used
    played = asterisk.prompts_played
    assert played.index("hotline/district_keypad_intro") < played.index("hotline/district_menu_1")
    (routed,) = rig.events(IvrRouted)
    assert routed.reason is IvrReason.DISTRICT_KEYPAD
    assert routed.outcome is IvrOutcome.QUEUE
    assert routed.district_code == "310106"
    assert rig.router.calls[-1] == ("310106", "other")
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-310106-other"
    assert asterisk.variables["HOTLINE_DISTRICT"] == "310106"
    assert "静安区" in routed.path_labels and "address:asr_timeout" in routed.path
    assert routed.address_note == "语音识别超时，来电人按键选择：静安区"


async def test_given_keypad_menu_when_caller_turns_the_page_then_second_page_district(rig):
    slow(rig)

    asterisk = await rig.call([Key("4"), Key("9"), Key("3")])  # page 2, 3 = 浦东新区

    assert "hotline/district_menu_2" in asterisk.prompts_played
    assert rig.events(IvrRouted)[0].district_code == "310115"
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-310115-other"


async def test_given_second_page_when_star_then_back_to_first(rig):
    slow(rig)

    await rig.call([Key("4"), Key("9"), Key("*"), Key("1")])

    assert rig.events(IvrRouted)[0].district_code == "310101"  # 黄浦区, first page


async def test_given_invalid_keys_when_tries_run_out_then_reprompted_then_city_queue(rig, book):
    slow(rig)

    asterisk = await rig.call([Key("4"), Key("#"), Silence(), Key("*")])  # * on page 1 is no key

    played = asterisk.prompts_played
    assert played.count("hotline/district_menu_1") == book.settings.max_tries
    assert played.count("hotline/invalid") == 2 and played.count("hotline/no_input") == 1
    (routed,) = rig.events(IvrRouted)
    assert routed.district_code is None
    assert routed.reason is IvrReason.NO_INPUT
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-city-other"
    assert routed.address_note == "语音识别超时，按键选区未成功，转全市人工"


async def test_given_invalid_then_valid_key_when_reprompted_then_routed(rig):
    slow(rig)

    await rig.call([Key("4"), Key("#"), Key("7")])

    assert rig.events(IvrRouted)[0].district_code == "310110"  # 杨浦区


async def test_given_keypad_menu_when_caller_presses_0_then_human(rig):
    slow(rig)

    await rig.call([Key("4"), Key("0")])

    routed = rig.events(IvrRouted)[0]
    assert routed.reason is IvrReason.CALLER_ASKED_HUMAN and routed.district_code is None


async def test_given_fast_recogniser_when_text_arrives_then_no_keypad_menu(rig):
    rig.capture.add("静安区南京西路街道")

    asterisk = await rig.call([Key("4"), Silence(), Key("1"), Key("2")])

    assert "hotline/district_menu_1" not in asterisk.prompts_played
    assert rig.events(IvrRouted)[0].reason is IvrReason.OFFICE_FOUND


async def test_given_keypad_menu_when_caller_hangs_up_then_the_call_record_says_so(rig):
    slow(rig)

    await rig.call([Key("4"), Hangup("line", at="hotline/district_menu_1")])

    (gone,) = rig.events(IvrAbandoned)
    assert gone.where == "address:district:1"
    assert rig.events(IvrRouted) == []
    # The recorder keeps the event as a trail line and projects it onto the calls row; the
    # consoles fold the same line into the call's notes.
    at = datetime(2026, 11, 23, 2, 1, tzinfo=UTC)
    row = CallRecord(
        id=CallId(gone.call_id), caller_number="13800000000", offered_at=at, status=CallStatus.IN_IVR
    )
    row = project_call(row, gone)
    assert row is not None and "address:asr_timeout" in row.ivr_path
    wire = to_wire(gone)["data"]
    entry = CallTrailEntry(
        call_id=CallId(gone.call_id),
        event_id=EventId(gone.event_id),
        event_type=gone.event_type,
        at=at,
        data=wire,
    )
    view = CallView.restored(row, [entry])
    assert view.ivr_path == ("就近公共法律服务点查询", "语音识别超时，改为按键选区")
    assert "address:district:1" in view.notes.ivr_why
    assert view.notes.address_note == "语音识别超时，来电人改用按键选择所在区"


# -- nothing usable recognised after the re-ask: the keypad menu too, not straight to a seat ----


@pytest.mark.parametrize(
    "transcripts", [[None, None], ["", "  "], ["火星大道1号", None], [None, "月球路2号"]]
)
async def test_given_nothing_usable_twice_when_caller_keys_a_district_then_routed_there(
    rig, transcripts, book
):
    rig.capture.add(*transcripts)

    asterisk = await rig.call([Key("4"), Key("7")])  # 4 at the main menu, then 7 = 杨浦区

    assert len(rig.capture.stream_ids) == book.settings.address_max_tries
    played = asterisk.prompts_played
    assert played.count("hotline/address_ask") == 2
    assert "hotline/district_keypad_intro" not in played  # not a timeout: another prompt
    assert played.index("hotline/district_keypad_unheard") < played.index("hotline/district_menu_1")
    assert played.index("hotline/district_keypad_unheard") > max(
        i for i, p in enumerate(played) if p in ("hotline/address_not_heard", "hotline/address_unknown")
    )
    (routed,) = rig.events(IvrRouted)
    assert routed.reason is IvrReason.DISTRICT_KEYPAD
    assert routed.district_code == "310110"
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-310110-other"
    assert "address:unrecognised" in routed.path and "address:asr_timeout" not in routed.path
    assert routed.address_note == "未能识别地址，来电人按键选择：杨浦区"
    assert routed.address_outcome == "no_address"


async def test_given_nothing_heard_then_keypad_menu_fails_then_city_queue_with_the_recognition_reason(
    rig, book
):
    rig.capture.add(None, None)

    asterisk = await rig.call([Key("4"), Key("#"), Silence(), Key("#")])

    assert asterisk.prompts_played.count("hotline/district_menu_1") == book.settings.max_tries
    (routed,) = rig.events(IvrRouted)
    assert routed.reason is IvrReason.ADDRESS_NOT_RECOGNISED
    assert routed.district_code is None
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-city-other"
    assert routed.address_note == "未能识别地址，按键选区未成功，转全市人工"


async def test_given_unheard_once_then_found_when_said_again_then_no_keypad_menu(rig):
    rig.capture.add(None, "静安区南京西路街道")

    asterisk = await rig.call([Key("4"), Key("1"), Key("2")])

    assert "hotline/district_menu_1" not in asterisk.prompts_played
    assert rig.events(IvrRouted)[0].reason is IvrReason.OFFICE_FOUND


async def test_given_nothing_usable_twice_when_0_in_the_keypad_menu_then_human(rig):
    rig.capture.add(None, None)

    await rig.call([Key("4"), Key("0")])

    routed = rig.events(IvrRouted)[0]
    assert routed.reason is IvrReason.CALLER_ASKED_HUMAN and routed.district_code is None


def _pairs(value: str) -> dict[str, str]:
    return dict(pair.split(":", 1) for pair in value.split(","))


async def test_given_the_keypad_pages_when_played_then_their_keys_are_set_for_the_channel_to_read(rig):
    slow(rig)

    asterisk = await rig.call([Key("4"), Key("9"), Key("3")])

    # The last page played was the second: its keys as its prompt reads them, * back.
    assert _pairs(asterisk.variables["HOTLINE_DISTRICT_KEYS"]) == {**DISTRICT_PAGES[1], "*": "back"}
    assert rig.events(IvrRouted)[0].district_code == DISTRICT_PAGES[1]["3"]


async def test_given_an_office_read_back_when_played_then_its_district_is_set_for_the_channel(rig):
    rig.capture.add("静安区南京西路街道")

    asterisk = await rig.call([Key("4"), Silence(), Key("1"), Key("2")])

    assert asterisk.variables["HOTLINE_READBACK_DISTRICT"] == "310106"


async def test_given_the_office_read_back_refused_twice_when_tries_run_out_then_the_keypad_menu(rig):
    # Heard as 静安区 both times; the caller lives in 杨浦区, says no (2) twice, then keys 7.
    rig.capture.add("静安区南京西路街道")
    rig.capture.add("静安区南京西路街道")

    asterisk = await rig.call([Key("4"), Silence(), Key("2"), Silence(), Key("2"), Key("7")])

    played = asterisk.prompts_played
    assert played.index("hotline/district_keypad_unheard") < played.index("hotline/district_menu_1")
    (routed,) = rig.events(IvrRouted)
    assert routed.reason is IvrReason.DISTRICT_KEYPAD
    assert routed.district_code == "310110"
    assert "address:unrecognised" in routed.path
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-310110-other"
