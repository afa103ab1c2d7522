"""Transfers in the rendered dialplan: seat to seat, to another queue, to 12345 / 12368 / 12309.

On Asterisk 22.10.1 a transfer to 12345 ran `Dial(PJSIP/12345@trunk)`, no such endpoint existed,
and the caller was hung up. Here every path is walked through the rendered extensions.conf: a
transfer that is not answered brings the caller back to the queue with a prompt.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dialplan_walk import Dialplan, find, parse, walk

from asterisk_conf.render import AsteriskConfValues, Seat, Trunk, render_asterisk_conf, render_trunk
from core import dialplan

FROM = {
    dialplan.VAR_QUEUE: "q-310106-labor",
    dialplan.VAR_TRANSFER_FROM: "1001",
    "MEMBERINTERFACE": "PJSIP/1001",
}


@pytest.fixture(scope="module")
def conf(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("conf")
    seats = (Seat("1001", "pw1001xx"), Seat("1002", "pw1002xx"))
    files = render_asterisk_conf(out, AsteriskConfValues(ami_secret="s3cret", seats=seats))
    return {f.name: f.read_text(encoding="utf-8") for f in files}


@pytest.fixture(scope="module")
def plan(conf: dict[str, str]) -> Dialplan:
    return parse(conf["extensions.conf"])


def _sections(pjsip: str, name: str) -> list[str]:
    """The bodies of every `[name]` section of pjsip.conf (a name may carry several types)."""
    return [
        m.group(1) for m in re.finditer(rf"^\[{re.escape(name)}\][^\n]*\n(.*?)(?=^\[|\Z)", pjsip, re.M | re.S)
    ]


@pytest.mark.parametrize("number", sorted(dialplan.EXTERNAL_NUMBERS))
def test_given_an_external_transfer_when_the_far_end_answers_then_dialled_by_the_trunk_and_marked(
    plan: Dialplan, number: str
) -> None:
    w = walk(plan, dialplan.TRANSFER, number, FROM, dial_status="ANSWER")

    assert w.ran("Dial") == [f"PJSIP/{number}@{dialplan.TRUNK_ENDPOINT},60"]
    assert w.vars[dialplan.VAR_TRANSFERRED] == "1"
    assert w.vars[dialplan.VAR_TRANSFER_FROM] == "1001"
    assert w.ended_in == "Hangup" and not w.ran("Queue")


@pytest.mark.parametrize("status", ["NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION"])
def test_given_an_external_transfer_when_the_dial_fails_then_the_caller_is_queued_again_with_a_prompt(
    plan: Dialplan, status: str
) -> None:
    w = walk(plan, dialplan.TRANSFER, "12345", FROM, dial_status=status)

    assert w.ran("Playback") == ["hotline/transfer_failed"]
    assert w.ended_in == "Queue"
    assert w.vars[dialplan.VAR_QUEUE] == "q-310106-labor"  # the queue it came from


def test_given_a_number_not_allowed_when_redirected_there_then_nothing_is_dialled_and_the_caller_requeued(
    plan: Dialplan,
) -> None:
    assert find(plan, dialplan.TRANSFER, "110") is None
    w = walk(plan, dialplan.TRANSFER, "110", FROM)

    assert not w.ran("Dial")
    assert w.ran("Playback") == ["hotline/transfer_failed"]
    assert w.ended_in == "Queue"


def test_given_the_transfer_context_when_read_then_only_the_allowed_numbers_leave_by_the_trunk(
    conf: dict[str, str], plan: Dialplan
) -> None:
    dialled = set(re.findall(r"Dial\(PJSIP/\$\{EXTEN\}@([\w-]+)", conf["extensions.conf"]))
    outside = {e for e, steps in plan[dialplan.TRANSFER].items() if any(a == "Dial" for _, a, _ in steps)}

    assert dialled == {dialplan.TRUNK_ENDPOINT}
    assert outside == set(dialplan.EXTERNAL_NUMBERS)


def test_given_a_queue_transfer_when_walked_then_the_caller_waits_in_the_new_queue_marked_as_transferred(
    plan: Dialplan,
) -> None:
    w = walk(plan, dialplan.TRANSFER, "q-city-family", FROM)

    assert w.ended_in == "Queue"
    assert w.vars[dialplan.VAR_QUEUE] == "q-city-family"
    assert w.vars[dialplan.VAR_TRANSFERRED] == "1"
    assert w.vars[dialplan.VAR_TRANSFER_FROM] == "1001"
    assert ("Set", f"{dialplan.VAR_TRANSFER_FROM}=1001") in w.apps  # VarSet in the new context


def test_given_a_seat_transfer_when_the_target_answers_then_its_phone_is_dialled_and_the_survey_follows(
    plan: Dialplan,
) -> None:
    w = walk(plan, dialplan.SEAT_TRANSFER, "1002", FROM, dial_status="ANSWER")

    [dial] = w.ran("Dial")
    assert dial.startswith("PJSIP/1002,") and dial.split(",")[2] == "g"  # g: on to the survey
    assert w.vars[dialplan.VAR_TRANSFERRED] == "1"
    assert w.vars[dialplan.VAR_TRANSFER_FROM] == "1001"
    assert w.vars["MEMBERINTERFACE"] == "PJSIP/1002"  # the survey rates the seat that talked last
    assert any(args.endswith("/survey") for args in w.ran("AGI"))


@pytest.mark.parametrize("status", ["NOANSWER", "BUSY", "CHANUNAVAIL"])
def test_given_a_seat_transfer_when_the_target_does_not_answer_then_back_to_the_queue_it_came_from(
    plan: Dialplan, status: str
) -> None:
    w = walk(plan, dialplan.SEAT_TRANSFER, "1002", FROM, dial_status=status)

    assert w.ran("Playback") == ["hotline/transfer_failed"]
    assert w.ended_in == "Queue"
    assert w.vars[dialplan.VAR_QUEUE] == "q-310106-labor"
    assert not w.ran("AGI")


def test_given_the_rendered_pjsip_when_read_then_the_trunk_endpoint_the_dialplan_dials_exists(
    conf: dict[str, str],
) -> None:
    bodies = _sections(conf["pjsip.conf"], dialplan.TRUNK_ENDPOINT)
    types = {re.search(r"^type = (\w+)", b, re.M).group(1) for b in bodies}  # type: ignore[union-attr]

    assert {"endpoint", "aor"} <= types
    assert "contact = sip:127.0.0.1:5070" in conf["pjsip.conf"]  # the local test trunk by default
    assert f"context = {dialplan.INCOMING}" in bodies[0]
    # Loopback: no IP identify, or the seats' phones on this host would be taken for the carrier.
    assert "identify" not in types
    assert "type = registration" not in conf["pjsip.conf"]


def test_given_a_carrier_with_auth_and_registration_when_rendered_then_both_sections_follow() -> None:
    text = render_trunk(
        Trunk(
            host="10.20.0.5", port=5060, username="021123", password="pw!", from_user="12348", register=True
        )
    )

    assert f"outbound_auth = {dialplan.TRUNK_ENDPOINT}-auth" in text
    assert "username = 021123" in text and "password = pw!" in text
    assert "type = registration" in text and "client_uri = sip:021123@10.20.0.5:5060" in text
    assert "from_user = 12348" in text
    assert "type = identify" in text and "match = 10.20.0.5" in text


def test_given_a_carrier_by_ip_only_when_rendered_then_no_auth_no_registration_and_no_probing() -> None:
    text = render_trunk(Trunk(host="10.20.0.5", port=5060))

    assert "outbound_auth" not in text and "type = auth" not in text and "registration" not in text
    assert "qualify_frequency" not in text


def test_given_probing_asked_when_rendered_then_the_aor_is_qualified() -> None:
    text = render_trunk(Trunk(host="10.20.0.5", port=5060, qualify_s=30))

    aor = next(s for s in text.split("\n\n") if "type = aor" in s)
    assert "qualify_frequency = 30" in aor


@pytest.mark.parametrize(
    ("trunk", "message"),
    [
        (Trunk(register=True), "需要用户名"),
        (Trunk(username="u"), "没有密码"),
        (Trunk(host=""), "不能为空"),
        (Trunk(port=70000), "端口无效"),
        (Trunk(host="1.2.3.4\n[evil]"), "不允许"),
        (Trunk(qualify_s=-1), "探测间隔"),
    ],
)
def test_given_a_wrong_trunk_setting_when_rendered_then_a_chinese_error(trunk: Trunk, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_trunk(trunk)


def test_given_seats_when_rendered_then_every_seat_the_console_can_pick_is_an_endpoint(
    conf: dict[str, str], plan: Dialplan
) -> None:
    for seat in ("1001", "1002"):
        assert _sections(conf["pjsip.conf"], seat)
        assert find(plan, dialplan.SEAT_TRANSFER, seat) is not None


def test_given_the_render_when_written_then_files_land_in_the_out_dir(tmp_path: Path) -> None:
    files = render_asterisk_conf(tmp_path, AsteriskConfValues(ami_secret="x"))

    assert {f.parent for f in files} == {tmp_path}
