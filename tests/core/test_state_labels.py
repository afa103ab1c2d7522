"""One label per state: each state enum carries its Chinese `.label`, and no other module or page
keeps its own table of texts for those states (where two tables drift, one work order read
已回拨 on the seat console and 已结案（已接通） on the supervisor's)."""

from __future__ import annotations

import ast
import enum
import pathlib
import re

import pytest

from callbacks.events import AttemptOutcome, CloseOutcome
from callbacks.models import MissReason, WorkOrderStatus
from core.access import Role
from core.asr_events import Leg
from core.calls import CallStatus
from core.seat_events import PauseReason, SeatStatus
from seats.records import ConsultationOutcome

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = (
    "core",
    "routing",
    "seats",
    "callbacks",
    "stats",
    "pbx",
    "ivr",
    "asr",
    "store",
    "console_web",
    "app",
)
LABELLED: tuple[type[enum.Enum], ...] = (
    CallStatus,
    WorkOrderStatus,
    MissReason,
    SeatStatus,
    PauseReason,
    AttemptOutcome,
    CloseOutcome,
    ConsultationOutcome,
    Role,
    Leg,
)
_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("states", LABELLED, ids=lambda e: e.__name__)
def test_given_a_state_enum_then_each_member_has_its_own_chinese_label(states: type[enum.Enum]) -> None:
    labels = [m.label for m in states]  # type: ignore[attr-defined]
    assert all(isinstance(t, str) and _HAN.search(t) for t in labels)
    assert len(set(labels)) == len(labels)  # two states never read the same


def label_tables(source: str, names: set[str]) -> list[int]:
    """Lines of dict literals keyed by members of the named enums (`X.MEMBER: "..."`)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict) and node.keys:
            keyed = [
                k
                for k in node.keys
                if isinstance(k, ast.Attribute) and isinstance(k.value, ast.Name) and k.value.id in names
            ]
            texts = [v for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            if keyed and texts:
                lines.append(node.lineno)
    return lines


def test_given_the_table_checker_when_fed_a_second_table_then_it_flags_it() -> None:
    assert label_tables('X = {WorkOrderStatus.POOL: "待领取"}\n', {"WorkOrderStatus"}) == [1]
    assert label_tables("X = {WorkOrderStatus.POOL: 1}\n", {"WorkOrderStatus"}) == []


def test_given_the_packages_then_only_the_enum_s_own_module_maps_its_states_to_text() -> None:
    homes = {e.__name__: e.__module__ for e in LABELLED}
    offences = []
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            names = {name for name, home in homes.items() if home != module}
            offences += [f"{module}:{line}" for line in label_tables(path.read_text(encoding="utf-8"), names)]
    assert offences == []


def test_given_the_console_pages_then_no_script_keeps_a_table_of_state_texts() -> None:
    """Pages take state texts from the API (`*_label` fields, /api/labels), never their own map."""
    values = {
        m.value for e in (CallStatus, WorkOrderStatus, MissReason, SeatStatus, PauseReason, Role) for m in e
    }
    entry = re.compile(r"""(?:[{,]\s*|^\s*)["']?([a-z_]+)["']?\s*:\s*["'`]([^"'`]*)["'`]""", re.M)
    offences = []
    for path in sorted((ROOT / "console_web" / "static").glob("*.js")):
        for m in entry.finditer(path.read_text(encoding="utf-8")):
            if m.group(1) in values and _HAN.search(m.group(2)):
                offences.append(f"{path.name}: {m.group(0).strip()}")
    assert offences == []
