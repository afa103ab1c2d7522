"""Expert seats (专家坐席): "任一空闲专家" reaches the expert seat free longest, and only a free
one; the seat console's targets list the experts apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from core import dialplan
from core.call_events import TransferKind
from core.errors import Conflict
from core.ids import SeatId
from seats.board import SeatBoard
from seats.experts import free_expert
from seats.models import Seat, SeatKind
from seats.state import PauseReason, SeatState, SeatStatus
from seats.workspace import ANY_EXPERT, SeatWorkspace
from tests.seats.test_workspace import (
    AT,
    CALL,
    LI,
    TEAM,
    ZHANG,
    Threads,
    _views,
    workspace_over,
    zhang_talking,
)


def _expert(sid: str, name: str, kind: SeatKind = SeatKind.LAWYER) -> Seat:
    return Seat(id=SeatId(sid), name=name, kind=kind, team_id=TEAM, interface=f"PJSIP/{sid}", expert=True)


SUN = _expert("1007", "孙专家律师")
QIAN = _expert("1008", "钱专家公证员", SeatKind.NOTARY)  # an expert of another kind
ZHOU = _expert("1009", "周专家律师")
WU = _expert("1010", "吴专家律师")
RETIRED = replace(_expert("1011", "郑专家律师"), active=False)
SEATS = (ZHANG, LI, SUN, QIAN, ZHOU, WU, RETIRED)


def _states(**status: tuple[SeatStatus, int]) -> dict[SeatId, SeatState]:
    """Seat states by seat id: (status, minutes in it)."""
    return {
        SeatId(sid): SeatState(
            seat_id=SeatId(sid),
            team_id=TEAM,
            status=st,
            since=AT - timedelta(minutes=minutes),
            pause_reason=PauseReason.MEAL if st is SeatStatus.PAUSED else None,
        )
        for sid, (st, minutes) in status.items()
    }


def test_given_experts_in_every_state_when_picking_any_free_expert_then_the_one_free_longest_is_chosen() -> (
    None
):
    states = _states(
        **{
            "1001": (SeatStatus.AVAILABLE, 60),  # the asking seat itself, an expert free longest
            "1002": (SeatStatus.AVAILABLE, 50),  # free, but no expert
            "1007": (SeatStatus.AVAILABLE, 2),
            "1008": (SeatStatus.AVAILABLE, 5),
            "1009": (SeatStatus.TALKING, 40),
            "1010": (SeatStatus.PAUSED, 30),
            "1011": (SeatStatus.AVAILABLE, 45),  # no longer active
        }
    )
    me = replace(ZHANG, expert=True)
    assert free_expert((me, *SEATS[1:]), states, besides=me.id) == QIAN
    states[QIAN.id] = replace(states[QIAN.id], status=SeatStatus.WRAP_UP)
    assert free_expert((me, *SEATS[1:]), states, besides=me.id) == SUN
    states[SUN.id] = replace(states[SUN.id], status=SeatStatus.RINGING)
    assert free_expert((me, *SEATS[1:]), states, besides=me.id) is None


def test_given_experts_offline_or_off_the_board_when_picking_then_none_is_free() -> None:
    states = _states(
        **{"1002": (SeatStatus.AVAILABLE, 5), "1007": (SeatStatus.OFFLINE, 5)}
    )  # 1008... unknown
    assert free_expert(SEATS, states, besides=ZHANG.id) is None


class Pbx:
    """The CallControl actions a transfer sends, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def set_variable(self, channel: str, variable: str, value: str) -> None:
        self.sent.append(("set_variable", variable, value))

    async def redirect(self, channel: str, *, context: str, exten: str, priority: int = 1) -> None:
        self.sent.append(("redirect", context, exten))


def _talking(pbx: Pbx, **status: tuple[SeatStatus, int]) -> SeatWorkspace:
    """Seat 1001 talking on CALL, the other seats as `status` says (offline otherwise)."""
    board = SeatBoard(list(SEATS))
    board.states.update(_states(**status))
    live = zhang_talking(board, ZHANG.id)
    return workspace_over(
        Threads(),
        board,
        _views(ZHANG.id),
        live=live,
        seats=SEATS,
        control=pbx,  # type: ignore[arg-type]  # only the two actions a transfer sends
    )


async def test_given_free_experts_when_transferring_to_any_free_expert_then_the_one_free_longest_is_dialled() -> (
    None
):
    pbx = Pbx()
    workspace = _talking(
        pbx,
        **{
            "1002": (SeatStatus.AVAILABLE, 50),
            "1007": (SeatStatus.AVAILABLE, 3),
            "1008": (SeatStatus.AVAILABLE, 9),
        },
    )
    sent = await workspace.transfer(ZHANG.id, CALL, TransferKind.SEAT, f" {ANY_EXPERT} ")
    assert (sent.target, sent.target_name, sent.context, sent.exten) == (
        "1008",
        "钱专家公证员",
        dialplan.SEAT_TRANSFER,
        "1008",
    )
    assert pbx.sent[-1] == ("redirect", dialplan.SEAT_TRANSFER, "1008")


async def test_given_no_free_expert_when_asking_for_any_free_expert_then_conflict_in_chinese_and_nothing_sent() -> (
    None
):
    pbx = Pbx()
    workspace = _talking(
        pbx,
        **{
            "1002": (SeatStatus.AVAILABLE, 50),
            "1007": (SeatStatus.TALKING, 3),
            "1008": (SeatStatus.PAUSED, 9),
        },
    )
    with pytest.raises(Conflict, match="当前没有空闲的专家坐席"):
        await workspace.transfer(ZHANG.id, CALL, TransferKind.SEAT, ANY_EXPERT)
    assert pbx.sent == []


async def test_given_expert_seats_when_listing_transfer_targets_then_they_are_marked_and_any_free_expert_offered() -> (
    None
):
    workspace = _talking(Pbx(), **{"1002": (SeatStatus.AVAILABLE, 5), "1007": (SeatStatus.AVAILABLE, 3)})
    targets = await workspace.transfer_targets(ZHANG.id)
    assert [(t.id, t.expert, t.available) for t in targets.seats] == [
        ("1002", False, True),
        ("1007", True, True),
        ("1008", True, False),
        ("1009", True, False),
        ("1010", True, False),
    ]
    assert (targets.any_expert.code, targets.any_expert.label) == (ANY_EXPERT, "任一空闲专家")
