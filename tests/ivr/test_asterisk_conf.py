"""The rendered Asterisk configuration agrees with the IVR code (script names, variables, prompts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from asterisk_conf.render import AsteriskConfValues, Seat, default_queues, fill, render_asterisk_conf
from core import dialplan as names
from core.ivr_events import IvrOutcome
from ivr.menu import load_menu
from ivr.prompts import TONES
from ivr.variables import MEMBERINTERFACE, SCRIPT_IVR, SCRIPT_SURVEY, ChannelVar


@pytest.fixture
def rendered(tmp_path: Path) -> dict[str, str]:
    book = load_menu()
    values = AsteriskConfValues(
        ami_secret="s3cret",
        prompt_base=book.settings.prompt_base,
        seats=(Seat("1001", "pw1001"), Seat("caller1", "pwc", context="hotline-incoming")),
    )
    files = render_asterisk_conf(tmp_path, values)
    return {f.name: f.read_text(encoding="utf-8") for f in files}


def test_given_rendered_dialplan_when_read_then_it_calls_the_agi_scripts_the_server_serves(rendered):
    scripts = set(re.findall(r"AGI\(agi://127\.0\.0\.1:4573/(\w+)\)", rendered["extensions.conf"]))

    assert scripts == {SCRIPT_IVR, SCRIPT_SURVEY}


def test_given_rendered_dialplan_when_read_then_every_hotline_variable_is_one_the_code_knows(rendered):
    dialplan = rendered["extensions.conf"]
    read = set(re.findall(r"\$\{(HOTLINE_\w+)\}", dialplan))
    written = set(re.findall(r"Set\((HOTLINE_\w+)=", dialplan))
    # The IVR's variables, and those core.dialplan names for the console's commands (HOTLINE_THIRD).
    known = {v.value for v in ChannelVar} | {getattr(names, n) for n in dir(names) if n.startswith("VAR_")}

    assert read | written <= known
    assert {ChannelVar.NEXT, ChannelVar.QUEUE} <= read  # what the IVR hands over
    assert ChannelVar.TRANSFERRED in written  # what the survey reads


def test_given_rendered_dialplan_when_branching_on_next_then_values_are_ivr_outcomes(rendered):
    compared = set(re.findall(r'"\$\{HOTLINE_NEXT\}"="(\w+)"', rendered["extensions.conf"]))

    assert compared
    assert compared <= {o.value for o in IvrOutcome}


def test_given_rendered_config_when_read_then_survey_can_find_the_seat(rendered):
    assert f"${{{MEMBERINTERFACE}}}" in rendered["extensions.conf"]
    assert "setinterfacevar = yes" in rendered["queues.conf"]
    assert re.search(r"Queue\([^\n]*\},tc,", rendered["extensions.conf"])


def test_given_rendered_dialplan_when_playing_prompts_then_they_exist_in_the_menu(rendered):
    book = load_menu()
    played = re.findall(r"Playback\(hotline/(\w+)\)", rendered["extensions.conf"])

    assert played
    assert set(played) <= set(book.prompts) | set(TONES)  # the hold music is a tone prompt


def test_given_menu_categories_when_rendered_then_queues_exist_for_each_district_and_category(rendered):
    book = load_menu()
    declared = set(re.findall(r"^\[(q-[\w-]+)\]", rendered["queues.conf"], re.M))

    assert declared == set(default_queues())
    assert {book.settings.after_hours_queue, "q-city-other"} <= declared
    assert {f"q-310106-{c}" for c in book.categories} <= declared
    assert {f"q-city-{c}" for c in book.categories} <= declared


def test_given_rendered_files_when_read_then_no_placeholder_left_and_trace_contexts_kept(rendered):
    for text in rendered.values():
        assert "{{" not in text
    assert "exten => tap,1,ChanSpy(${SPY},qEo)" in rendered["extensions.conf"]
    assert "secret = s3cret" in rendered["manager.conf"]
    assert "context = hotline-incoming" in rendered["pjsip.conf"]


def test_given_a_template_with_an_unknown_placeholder_when_filled_then_error():
    with pytest.raises(KeyError, match="nope"):
        fill("x {{nope}}", {})


def test_given_empty_secret_when_rendering_then_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="ami_secret"):
        render_asterisk_conf(tmp_path, AsteriskConfValues(ami_secret=" "))


def _context(dialplan: str, name: str) -> list[str]:
    """The lines of one context of the rendered extensions.conf, comments left out."""
    body = dialplan.split(f"[{name}]\n", 1)[1].split("\n[", 1)[0]
    return [line for line in body.splitlines() if line.strip() and not line.startswith(";")]


def test_given_rendered_dialplan_when_a_supervisor_monitors_then_the_monitor_context_rings_their_phone_first(
    rendered,
):
    lines = _context(rendered["extensions.conf"], names.MONITOR)

    # Originate Local/m-<id>.<call>@hotline-monitor: ;2 dials the supervisor's own phone, then ends.
    assert lines == [
        f"exten => _{names.MONITOR_PREFIX}.,1,Dial(PJSIP/${{{names.VAR_MONITOR_PHONE}}},30)",
        " same => n,Hangup()",
    ]
    assert "app_chanspy.so" in rendered["modules.conf"]


def test_given_a_monitor_ring_time_when_rendered_then_the_supervisors_phone_rings_that_long(tmp_path: Path):
    files = render_asterisk_conf(tmp_path, AsteriskConfValues(ami_secret="s", monitor_ring_s=12))
    text = next(f for f in files if f.name == "extensions.conf").read_text(encoding="utf-8")

    assert f"Dial(PJSIP/${{{names.VAR_MONITOR_PHONE}}},12)" in _context(text, names.MONITOR)[0]
