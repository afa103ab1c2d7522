"""The IVR's follow-up on an address it cannot settle alone, over a real FastAGI socket: several
named places read as a keypad choice (您说的地址可能是：按1，A；按2，B；都不是请按0), and an address
outside Shanghai told plainly instead of being routed to a Shanghai place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from core.clock import ManualClock
from core.ids import OfficeId
from core.ivr_events import AppointmentRequested, IvrAbandoned, IvrReason, IvrRouted
from ivr.adapters import RoutingAddressLookup
from ivr.agi_server import AgiServer
from ivr.fakes import (
    JINGAN_CENTRE,
    FakeAddressLookup,
    FakeQueueRouter,
    FakeSpeechCapture,
    FakeSpeechSynth,
    FakeWaitEstimator,
    FixedServiceHours,
    Hangup,
    Key,
    RecordingPublisher,
    Silence,
)
from ivr.menu import MenuBook
from ivr.ports import AddressChoice, AddressVerdict
from ivr.service import IvrService
from ivr.variables import SCRIPT_IVR
from routing.address import AddressResolver
from routing.gazetteer import SHANGHAI_DIR, load_gazetteer
from routing.offices import build_offices
from tests.ivr.conftest import OPEN_TIME, Rig

SAID = "浦东果园村"
A = replace(JINGAN_CENTRE, office_id=OfficeId("office-a"), office_name="川沙新镇果园村公共法律服务工作室")
B = replace(JINGAN_CENTRE, office_id=OfficeId("office-b"), office_name="新场镇果园村公共法律服务工作室")
B = replace(B, district_code="310115")
TWO = AddressVerdict(
    "ambiguous",
    "可能是：浦东新区川沙新镇果园村村委会 或 浦东新区新场镇果园村村委会，请向来电人确认",
    choices=(
        AddressChoice("浦东新区川沙新镇果园村村委会", A),
        AddressChoice("浦东新区新场镇果园村村委会", B),
    ),
)


def ambiguous(rig: Rig, *transcripts: str) -> None:
    rig.capture.add(*transcripts)
    rig.lookup.known[SAID] = [A, B]  # the lookup's candidates, best first
    rig.lookup.verdicts[SAID] = TWO


def audiosocket_execs(asterisk) -> list[str]:
    return [c for c in asterisk.commands if c.startswith("EXEC AudioSocket ")]


async def test_given_two_named_places_when_caller_presses_2_during_the_list_then_routed_to_the_second(rig):
    ambiguous(rig, SAID)

    asterisk = await rig.call([Key("4"), Key("2", barge=True), Key("2")])  # then: no appointment

    listing = rig.synth.texts[0]
    assert listing == (
        "您说的地址可能是：按1，浦东新区川沙新镇果园村村委会；按2，浦东新区新场镇果园村村委会；都不是请按0。"
    )
    assert B.office_name in rig.synth.texts[1]  # the chosen office read back, not the best candidate
    (routed,) = rig.events(IvrRouted)
    assert routed.office_id == "office-b"
    assert routed.reason is IvrReason.OFFICE_FOUND
    assert routed.path[-2:] == ("address:choice:2", "appointment:2")
    assert routed.path_labels[-2] == "浦东新区新场镇果园村村委会"
    assert asterisk.variables["HOTLINE_OFFICE"] == "office-b"
    assert asterisk.variables["HOTLINE_DISTRICT"] == "310115"
    assert "hotline/address_confirm" not in asterisk.prompts_played  # the choice was the confirmation
    assert routed.address_outcome == "found"  # the seat sees what the caller settled
    assert (
        routed.address_note
        == "来电人按键选定：浦东新区新场镇果园村村委会（另有可能：浦东新区川沙新镇果园村村委会）"
    )


async def test_given_two_named_places_when_caller_keys_1_after_the_list_then_first_and_appointment(rig):
    ambiguous(rig, SAID)

    asterisk = await rig.call([Key("4"), Key("1"), Key("1")])

    assert "hotline/address_choose" in asterisk.prompts_played
    (appointment,) = rig.events(AppointmentRequested)
    assert appointment.office_id == "office-a"
    assert appointment.spoken_address == SAID


async def test_given_the_list_when_caller_presses_0_then_asked_again_and_a_clear_address_goes_on(rig):
    ambiguous(rig, SAID, "静安区南京西路街道")

    asterisk = await rig.call([Key("4"), Key("0"), Key("1"), Key("2")])

    assert len(audiosocket_execs(asterisk)) == 2
    assert rig.lookup.texts == [SAID, "静安区南京西路街道"]
    (routed,) = rig.events(IvrRouted)
    assert routed.office_id == JINGAN_CENTRE.office_id
    assert routed.address_outcome == "found"


@pytest.mark.parametrize("key", [Silence(), Key("7"), Key("0")])
async def test_given_the_list_twice_when_no_place_chosen_then_a_seat_sees_the_candidates(rig, key, book):
    ambiguous(rig, SAID, SAID)

    asterisk = await rig.call([Key("4"), key, key])

    assert len(audiosocket_execs(asterisk)) == book.settings.address_max_tries
    (routed,) = rig.events(IvrRouted)
    assert routed.reason is IvrReason.ADDRESS_UNKNOWN
    assert routed.office_id is None and routed.district_code is None
    assert (routed.address_outcome, routed.address_note) == ("ambiguous", TWO.note)
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-city-other"
    assert asterisk.prompts_played[-1] == "hotline/to_human"
    if isinstance(key, Key) and key.digits == "7":
        assert asterisk.prompts_played.count("hotline/invalid") == 2


async def test_given_the_list_when_caller_hangs_up_then_abandoned_at_the_choice(rig):
    ambiguous(rig, SAID)

    asterisk = await rig.call([Key("4"), Hangup("line", at="hotline/dyn/tts-1")])  # the list

    assert asterisk.prompts_played[-1] == "hotline/dyn/tts-1"
    assert rig.events(IvrRouted) == []
    (abandoned,) = rig.events(IvrAbandoned)
    assert abandoned.where == "address:choose"


async def test_given_no_speaking_synth_when_ambiguous_then_the_best_office_read_back_as_before(rig):
    ambiguous(rig, SAID)
    rig.synth.speaks = False

    asterisk = await rig.call([Key("4"), Silence(), Key("1"), Key("2")])

    assert "hotline/address_choose" not in asterisk.prompts_played
    assert "hotline/address_confirm" in asterisk.prompts_played
    assert rig.events(IvrRouted)[0].office_id == "office-a"


OUTSIDE = AddressVerdict("outside", "来电者说的不是上海地址：杭州市西湖区", elsewhere="杭州市西湖区")


async def test_given_another_city_when_caller_waits_then_told_plainly_and_a_seat_not_a_shanghai_office(rig):
    rig.capture.add("我住在杭州市西湖区")
    rig.lookup.verdicts["我住在杭州市西湖区"] = OUTSIDE
    rig.lookup.known["我住在杭州市西湖区"] = [JINGAN_CENTRE]  # even were a Shanghai office offered

    asterisk = await rig.call([Key("4"), Silence()])

    (told,) = rig.synth.texts
    assert told.startswith("您说的杭州市西湖区不在上海市") and "12348" in told
    assert "hotline/address_outside_keys" in asterisk.prompts_played
    (routed,) = rig.events(IvrRouted)
    assert routed.office_id is None and routed.district_code is None
    assert (routed.address_outcome, routed.spoken_address) == ("outside", "我住在杭州市西湖区")
    assert asterisk.variables["HOTLINE_QUEUE"] == "q-city-other"
    assert asterisk.prompts_played[-1] == "hotline/to_human"


async def test_given_another_city_when_caller_presses_2_then_says_it_again(rig):
    rig.capture.add("杭州市西湖区", "静安区南京西路街道")
    rig.lookup.verdicts["杭州市西湖区"] = OUTSIDE

    await rig.call([Key("4"), Key("2", barge=True), Key("1"), Key("2")])

    assert rig.lookup.texts == ["杭州市西湖区", "静安区南京西路街道"]
    assert rig.events(IvrRouted)[0].office_id == JINGAN_CENTRE.office_id


async def test_given_no_speaking_synth_when_another_city_then_the_fixed_prompt(rig):
    rig.capture.add("杭州市西湖区")
    rig.lookup.verdicts["杭州市西湖区"] = OUTSIDE
    rig.synth.speaks = False

    asterisk = await rig.call([Key("4"), Key("1")])

    assert "hotline/address_outside" in asterisk.prompts_played
    assert rig.synth.texts == []
    assert rig.events(IvrRouted)[0].reason is IvrReason.ADDRESS_UNKNOWN


# -- over the real resolver and office registry -----------------------------------------------


@pytest.fixture(scope="module")
def real_lookup() -> RoutingAddressLookup:
    gazetteer = load_gazetteer(SHANGHAI_DIR)
    return RoutingAddressLookup(AddressResolver.build(gazetteer), build_offices(gazetteer))


@pytest.fixture
async def real(
    env_block: str, book: MenuBook, real_lookup: RoutingAddressLookup
) -> AsyncIterator[tuple[Rig, RoutingAddressLookup]]:
    publisher, clock = RecordingPublisher(), ManualClock(OPEN_TIME)
    capture, synth = FakeSpeechCapture(), FakeSpeechSynth()
    waits, router, hours = FakeWaitEstimator(30.0), FakeQueueRouter(), FixedServiceHours(True)
    ivr = IvrService(
        book,
        router=router,
        hours=hours,
        waits=waits,
        lookup=real_lookup,
        capture=capture,
        synth=synth,
        publisher=publisher,
        clock=clock,
    )
    server = AgiServer({SCRIPT_IVR: ivr.run}, command_timeout=5.0)
    await server.start("127.0.0.1", 0)
    try:
        unused = FakeAddressLookup()  # the IVR asks `real_lookup`
        yield (
            Rig(server, env_block, publisher, hours, waits, router, unused, capture, synth, clock),
            real_lookup,
        )
    finally:
        await server.stop()


@pytest.mark.parametrize("said", ["静安区闻喜路768号", "静安区闻喜路"])
async def test_given_a_road_across_two_streets_when_the_caller_picks_one_then_that_streets_station(
    real, said
):
    rig, _ = real
    rig.capture.add(said)  # 闻喜路 runs through 彭浦新村街道 and 临汾路街道

    await rig.call([Key("4"), Key("2"), Key("2")])

    listing = rig.synth.texts[0]
    places = [p.split("，", 1)[1] for p in listing.removeprefix("您说的地址可能是：").split("；")[:2]]
    assert sorted(places) == ["静安区临汾路街道", "静安区彭浦新村街道"]
    (routed,) = rig.events(IvrRouted)
    assert routed.district_code == "310106"
    assert routed.path_labels[-2] == places[1]
    street = "310106021" if places[1].endswith("临汾路街道") else "310106020"
    assert routed.office_id == f"office-{street}"


async def test_given_another_city_over_the_real_resolver_then_the_city_named_to_the_caller(real):
    rig, _ = real
    rig.capture.add("我住在杭州市西湖区")

    await rig.call([Key("4"), Silence()])

    assert rig.synth.texts[0].startswith("您说的杭州市西湖区不在上海市")
    assert rig.events(IvrRouted)[0].office_id is None


def test_given_five_equal_places_when_verdict_then_no_keypad_choice(
    real_lookup: RoutingAddressLookup,
) -> None:
    # 浦东 has five 果园村: more than a caller can hold as a menu.
    verdict = real_lookup.verdict("浦东果园村")
    assert verdict.outcome == "ambiguous"
    assert verdict.choices == ()


async def test_given_five_equal_places_when_said_then_asked_for_the_town_not_read_a_guess(real):
    rig, _ = real
    rig.capture.add("浦东果园村", "浦东新区新场镇果园村")

    asterisk = await rig.call([Key("4"), Silence(), Key("1"), Key("2")])

    assert asterisk.prompts_played.count("hotline/address_ambiguous") == 1
    assert "新场镇果园村" in rig.synth.texts[0]  # the first office read back is the one then said
    (routed,) = rig.events(IvrRouted)
    assert routed.address_outcome == "found"
    assert routed.office_id is not None and routed.office_id.startswith("office-310115")
