"""The bridge parses plain events itself (`pbx.ami_bridge._BridgeProtocol.data_received`): for
every frame Asterisk sent in the recorded traces (the eight scenario traces and the project's own
dialplan runs on 22.10.1), its headers are exactly what panoramisk's `Message` gives through
`message_headers`, or the frame is left to panoramisk (responses, list events of an action,
`FullyBooted`, `Shutdown`, `Result:` headers panoramisk unquotes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from panoramisk.message import Message

from pbx.ami_bridge import EOL, _plain_event
from pbx.ami_control import message_headers
from tests.pbx.fake_ami_server import TRACES, server_stream

STREAMS = sorted(TRACES.rglob("*.ami"))


def _frames(path: Path) -> list[str]:
    text = server_stream(path.read_bytes()).decode("ascii", "ignore")
    return [f.strip() for f in text.split(EOL + EOL) if f.strip()]


def test_the_traces_are_there_to_compare() -> None:
    assert len(STREAMS) >= 10, STREAMS


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: str(p.relative_to(TRACES)))
def test_every_recorded_frame_parses_as_panoramisk_parses_it_or_is_left_to_it(path: Path) -> None:
    plain = left = 0
    for frame in _frames(path):
        mine = _plain_event(frame)
        if mine is None:
            left += 1
            continue
        plain += 1
        theirs = Message.from_line(frame)
        assert theirs is not None, frame
        assert mine == message_headers(theirs), frame
        assert list(mine) == list(message_headers(theirs)), frame  # in the same order too
    assert plain > 0


def test_frames_of_actions_and_of_panoramisk_itself_are_left_to_it() -> None:
    for frame in (
        "Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted",
        "Event: QueueMember\r\nQueue: q-city-labor\r\nActionID: 7\r\nName: seat-1001",
        "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted",
        "Event: Shutdown\r\nShutdown: Cleanly\r\nRestart: False",
        "Event: AGIExecEnd\r\nChannel: PJSIP/1001-00000001\r\nResult: 200%20result%3D1",
    ):
        assert _plain_event(frame) is None, frame
    repeated = "Event: VarSet\r\nChanVariable: A=1\r\nChanVariable: B=2\r\nValue: x: y"
    assert _plain_event(repeated) == {"Event": "VarSet", "ChanVariable": "B=2", "Value": "x: y"}
