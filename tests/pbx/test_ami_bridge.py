"""`AmiBridge` against a fake AMI server on a real TCP socket, replaying the recorded traces."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from fake_ami_server import (
    BusLog,
    FakeAmiConnection,
    FakeAmiServer,
    ReceivedAction,
    RecordingTracker,
    TrackerSaw,
    event_list,
    eventually,
    frame,
    numbered_events,
    server_stream,
    snapshot_lists,
    trace_events,
    trace_files,
)

from core.errors import PbxUnavailable
from core.events import ComponentStatusChanged, StateResynced
from pbx.ami_bridge import AmiBridge, ReconnectPolicy
from pbx.settings import AmiLogin

TRACE_02 = next(p for p in trace_files() if p.name.startswith("02_"))


def ami_status(log: BusLog) -> list[bool]:
    return [e.up for e in log.of(ComponentStatusChanged) if e.component == "ami"]


def test_given_the_traces_folder_when_listed_then_all_eight_recordings_are_there() -> None:
    assert len(trace_files()) == 8, trace_files()


async def test_given_right_credentials_when_bridge_starts_then_it_logs_in_snapshots_and_reports_up(
    make_bridge: Any, ami_server: FakeAmiServer, recording_tracker: RecordingTracker, bus_log: BusLog
) -> None:
    data = TRACE_02.read_bytes()
    ami_server.channels = snapshot_lists(data, "b1")
    ami_server.queue_status = snapshot_lists(data, "b2")

    bridge = await make_bridge()
    await eventually(lambda: bridge.status.resyncs == 1, "first resync")
    await bus_log.bus.drain()

    login = ami_server.actions_named("Login")[0]
    assert (login.get("Username"), login.get("Secret"), login.get("Events")) == ("hotline", "s3cret", "on")
    assert [a.name for a in ami_server.actions[1:3]] == ["CoreShowChannels", "QueueStatus"]
    channels, queues, at = recording_tracker.rebuilds[0]
    assert [(c.name, c.uniqueid) for c in channels] == [
        ("CoreShowChannel", "1795299094.1"),
        ("CoreShowChannel", "1795299094.0"),
    ]
    assert [q.name for q in queues] == ["QueueParams", "QueueMember"]
    assert queues[1].get("PausedReason") == "" and queues[1].get("Location") == "PJSIP/1001"
    assert channels[0].at == at
    kinds = [type(e) for e in bus_log.events if not isinstance(e, TrackerSaw)]
    assert kinds == [ComponentStatusChanged, StateResynced]
    resynced = bus_log.of(StateResynced)[0]
    assert (resynced.source, resynced.calls, resynced.seats) == ("ami", 1, 1)
    assert ami_status(bus_log) == [True]
    assert bridge.status.connected and bridge.status.last_error == ""


async def test_given_tracker_emits_its_own_resync_when_rebuilding_then_bridge_adds_no_second_one(
    make_bridge: Any, recording_tracker: RecordingTracker, bus_log: BusLog
) -> None:
    own = StateResynced(at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC), source="tracker", calls=7)
    recording_tracker.rebuild_returns = [own]
    bridge = await make_bridge()
    await eventually(lambda: bridge.status.resyncs == 1, "first resync")
    await bus_log.bus.drain()
    assert bus_log.of(StateResynced) == [own]


async def test_given_bad_secret_when_bridge_starts_then_it_reports_the_error_and_retries_with_backoff(
    make_bridge: Any, ami_server: FakeAmiServer, recording_tracker: RecordingTracker, bus_log: BusLog
) -> None:
    delays: list[float] = []

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)
        await asyncio.sleep(0)
        if len(delays) == 4:
            ami_server.secret = "wrong-on-purpose"  # stays wrong; the policy below caps at 0.4

    bridge = await make_bridge(
        secret="not-the-secret",
        sleep=fake_sleep,
        reconnect=ReconnectPolicy(initial=0.1, factor=2.0, maximum=0.4, jitter=0.0),
    )
    await eventually(lambda: len(delays) >= 5, "five retries")
    await bus_log.bus.drain()

    assert delays[:5] == pytest.approx([0.1, 0.2, 0.4, 0.4, 0.4])
    assert ami_server.logins[:5] == [False] * 5
    assert "Authentication failed" in bridge.status.last_error
    assert bridge.status.failed_attempts >= 5 and not bridge.status.connected
    assert ami_status(bus_log) == [False]  # announced once, not once per attempt
    assert recording_tracker.rebuilds == []


async def test_given_bad_secret_when_it_is_fixed_then_the_bridge_logs_in_on_a_later_attempt(
    make_bridge: Any, ami_server: FakeAmiServer, bus_log: BusLog
) -> None:
    real = ami_server.secret
    ami_server.secret = "rotated"
    bridge = await make_bridge(secret=real)
    await eventually(lambda: len(ami_server.logins) >= 2, "two refused logins")
    ami_server.secret = real
    await eventually(lambda: bridge.status.resyncs == 1, "resync after the secret is fixed")
    await bus_log.bus.drain()
    assert ami_status(bus_log) == [False, True]
    assert bridge.status.reconnects == 0  # the first successful login is not a reconnect


def test_given_jitter_when_computing_delays_then_they_grow_stay_capped_and_vary() -> None:
    policy = ReconnectPolicy(initial=0.5, factor=2.0, maximum=30.0, jitter=0.2)
    rng = random.Random(7)
    delays = [policy.delay(n, rng) for n in range(12)]
    for n, d in enumerate(delays):
        base = min(30.0, 0.5 * 2**n)
        assert base * 0.8 <= d <= base
    assert len({round(d, 6) for d in delays[7:]}) > 1  # capped ones still spread out
    with pytest.raises(ValueError):
        ReconnectPolicy(initial=0.0)
    with pytest.raises(ValueError):
        ReconnectPolicy(jitter=1.0)


async def test_given_recorded_traces_when_replayed_byte_for_byte_then_tracker_sees_every_event_in_order(
    connected_bridge: AmiBridge,
    ami_server: FakeAmiServer,
    recording_tracker: RecordingTracker,
    bus_log: BusLog,
) -> None:
    expected: list[tuple[str, str, str]] = []
    for path in trace_files():
        data = path.read_bytes()
        ami_server.send(server_stream(data))
        expected += [(h["Event"], h.get("Uniqueid", ""), h.get("Timestamp", "")) for h in trace_events(data)]
    before = len(recording_tracker.applied)  # FullyBooted of the login
    await eventually(lambda: len(recording_tracker.applied) - before >= len(expected), "all trace events")
    await bus_log.bus.drain()

    seen = [(e.name, e.uniqueid, e.get("Timestamp")) for e in recording_tracker.applied[before:]]
    assert seen == expected
    published = [(e.name, e.uniqueid) for e in bus_log.of(TrackerSaw)[before:]]
    assert published == [(n, u) for n, u, _ in expected]
    # OriginateResponse carries the Originate's ActionID; it must still reach the tracker.
    assert sum(1 for n, _, _ in seen if n == "OriginateResponse") == 2
    assert connected_bridge.status.events_handled == len(recording_tracker.applied)


async def test_given_a_burst_of_thousands_of_events_and_a_tiny_queue_when_received_then_order_is_kept(
    make_bridge: Any, ami_server: FakeAmiServer, recording_tracker: RecordingTracker, bus_log: BusLog
) -> None:
    paused: list[bool] = []
    bridge: AmiBridge | None = None

    def sample(_: object) -> None:
        if bridge is not None:
            paused.append(bridge.status.reading_paused)

    recording_tracker.on_apply = sample
    bridge = await make_bridge(queue_maxsize=16)
    await eventually(lambda: bridge.status.resyncs == 1, "resync")
    ami_server.send(numbered_events(3000) + numbered_events(2000, start=3000))
    await eventually(lambda: len(recording_tracker.seqs()) >= 5000, "5000 events")
    await bus_log.bus.drain()

    assert recording_tracker.seqs() == list(range(5000))
    assert [int(e.seq) for e in bus_log.of(TrackerSaw) if e.seq] == list(range(5000))
    assert any(paused), "the bridge never pushed back on the socket"
    assert bridge.status.connected and bridge.status.failed_attempts == 0


async def test_given_connection_dropped_mid_stream_when_server_is_back_then_bridge_resyncs_and_goes_on(
    connected_bridge: AmiBridge,
    ami_server: FakeAmiServer,
    recording_tracker: RecordingTracker,
    bus_log: BusLog,
) -> None:
    data = server_stream(TRACE_02.read_bytes())
    messages = data.split(b"\r\n\r\n")
    half = b"\r\n\r\n".join(messages[:60]) + b"\r\n\r\n"
    ami_server.channels = snapshot_lists(TRACE_02.read_bytes(), "b1")
    ami_server.send(half)
    await eventually(
        lambda: any(e.name == "AGIExecStart" for e in recording_tracker.applied),
        "first half reached the tracker",
    )
    applied_before_drop = len(recording_tracker.applied)

    ami_server.drop()
    await eventually(lambda: connected_bridge.status.resyncs == 2, "second resync")
    ami_server.send(numbered_events(3))
    await eventually(lambda: len(recording_tracker.seqs()) == 3, "events after the reconnect")
    await bus_log.bus.drain()

    assert len(ami_server.logins) == 2 and connected_bridge.status.reconnects == 1
    assert "connection" in connected_bridge.status.last_error.lower()
    second_rebuild = [i for i, c in enumerate(recording_tracker.calls) if c[0] == "rebuild"][1]
    assert len(recording_tracker.rebuilds[1][0]) == 2  # the channels of the second snapshot
    after = [name for kind, name in recording_tracker.calls[second_rebuild + 1 :]]
    assert after == ["FullyBooted", "UserEvent", "UserEvent", "UserEvent"]
    assert len(recording_tracker.applied) == applied_before_drop + 4
    assert ami_status(bus_log) == [True, False, True]
    assert len(bus_log.of(StateResynced)) == 2
    # On the bus: down, then up, then the resync, then the new session's events.
    tail = [type(e).__name__ for e in bus_log.events[-7:]]
    assert tail == [
        "ComponentStatusChanged",
        "ComponentStatusChanged",
        "StateResynced",
        "TrackerSaw",
        "TrackerSaw",
        "TrackerSaw",
        "TrackerSaw",
    ]


async def test_given_events_sent_during_the_snapshot_when_resyncing_then_they_follow_the_rebuild_in_wire_order(
    make_bridge: Any, ami_server: FakeAmiServer, recording_tracker: RecordingTracker, bus_log: BusLog
) -> None:
    def live(name: str) -> bytes:
        return frame({"Event": name, "Privilege": "call,all", "Timestamp": "1795299100.000001"})

    channel = {
        "Event": "CoreShowChannel",
        "Channel": "PJSIP/caller1-00000000",
        "Uniqueid": "1.0",
        "Linkedid": "1.0",
    }

    def core_show_channels(conn: FakeAmiConnection, action: ReceivedAction) -> bytes:
        listing = event_list(
            action.get("ActionID"), "Channels will follow", [channel], "CoreShowChannelsComplete"
        )
        head, sep, rest = listing.partition(b"Event: CoreShowChannelsComplete")
        # A: before the reply; B: between the items and the Complete; C: after the list.
        return live("A") + head + live("B") + sep + rest + live("C")

    def queue_status(conn: FakeAmiConnection, action: ReceivedAction) -> bytes:
        return live("D") + event_list(
            action.get("ActionID"), "Queue status will follow", [], "QueueStatusComplete"
        )

    ami_server.on("CoreShowChannels", core_show_channels)
    ami_server.on("QueueStatus", queue_status)
    bridge = await make_bridge()
    await eventually(
        lambda: bridge.status.resyncs == 1 and len(recording_tracker.applied) >= 5, "resync + events"
    )
    await bus_log.bus.drain()

    assert recording_tracker.calls == [
        ("rebuild", ""),
        ("apply", "FullyBooted"),
        ("apply", "A"),
        ("apply", "B"),
        ("apply", "C"),
        ("apply", "D"),
    ]
    assert [c.uniqueid for c in recording_tracker.rebuilds[0][0]] == ["1.0"]
    order = [e.name if isinstance(e, TrackerSaw) else type(e).__name__ for e in bus_log.events]
    assert order == ["ComponentStatusChanged", "StateResynced", "FullyBooted", "A", "B", "C", "D"]


async def test_given_malformed_frames_when_received_then_the_bridge_skips_them_and_keeps_going(
    connected_bridge: AmiBridge,
    ami_server: FakeAmiServer,
    recording_tracker: RecordingTracker,
    bus_log: BusLog,
) -> None:
    ami_server.send(b"garbage without any header\r\n\r\n")
    ami_server.send(b"\xff\xfe\x00\x01 binary junk\r\n\r\n")
    ami_server.send(b"Event: UserEvent\r\nthis line has no colon\r\nSeq: 1\r\n\r\n")
    ami_server.send(b"Response: Success\r\nMessage: reply to nobody\r\n\r\n")
    ami_server.send(b": value without a key\r\nEvent: UserEvent\r\nSeq: 2\r\n\r\n")
    ami_server.send(b"\r\n\r\n\r\n")
    ami_server.send(b"Event: UserEvent\r\nSeq: 3\r\nTimestamp: not-a-number\r\n\r\n")
    ami_server.send(b"Event: UserEv")  # truncated: the rest arrives in the next segment
    ami_server.send(b"ent\r\nSeq: 4\r\n\r\n")
    await eventually(lambda: recording_tracker.seqs() == [1, 2, 3, 4], "the valid events")
    ami_server.send(b"Event: UserEvent\r\nSeq: 99")  # truncated for good: the peer goes away
    ami_server.drop()
    await eventually(lambda: connected_bridge.status.resyncs == 2, "resync after the drop")
    ami_server.send(numbered_events(1, start=5))
    await eventually(lambda: 5 in recording_tracker.seqs(), "event after the reconnect")

    assert recording_tracker.seqs() == [1, 2, 3, 4, 5]
    assert recording_tracker.applied[-1].name == "UserEvent"
    assert connected_bridge.status.connected and connected_bridge.status.tracker_failures == 0


async def test_given_tracker_raises_on_one_event_when_more_follow_then_they_still_reach_it(
    connected_bridge: AmiBridge,
    ami_server: FakeAmiServer,
    recording_tracker: RecordingTracker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    recording_tracker.fail_on = frozenset({"Boom"})
    ami_server.send(frame({"Event": "Boom", "Uniqueid": "9.9"}) + numbered_events(2))
    await eventually(lambda: len(recording_tracker.seqs()) == 2, "events after the failing one")
    assert connected_bridge.status.tracker_failures == 1
    assert any("Boom" in r.getMessage() for r in caplog.records)


async def test_given_a_shutdown_event_when_asterisk_restarts_then_the_bridge_reconnects(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer
) -> None:
    ami_server.send(
        frame({"Event": "Shutdown", "Privilege": "system,all", "Shutdown": "Cleanly", "Restart": "True"})
    )
    await eventually(lambda: connected_bridge.status.resyncs == 2, "resync after Shutdown")
    assert len(ami_server.logins) == 2


async def test_given_pong_never_comes_when_keepalive_runs_then_the_bridge_drops_and_reconnects(
    make_bridge: Any, ami_server: FakeAmiServer
) -> None:
    ami_server.silence("Ping")
    bridge = await make_bridge(ping_interval=0.02, ping_timeout=0.05)
    await eventually(lambda: bridge.status.resyncs >= 2, "a second session after the silent Ping")
    assert "keepalive" in bridge.status.last_error
    assert len(ami_server.actions_named("Ping")) >= 1


async def test_given_a_running_bridge_when_stopped_then_the_socket_closes_and_down_is_published(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer, bus_log: BusLog
) -> None:
    await connected_bridge.stop()
    await eventually(lambda: ami_server.connections[-1].closed.is_set(), "server saw the close")
    await bus_log.bus.drain()
    assert ami_status(bus_log) == [True, False]
    assert bus_log.of(ComponentStatusChanged)[-1].detail == "stopped"
    assert not connected_bridge.status.connected
    with pytest.raises(PbxUnavailable):
        connected_bridge.send_action({"Action": "Ping"}, as_list=False)
    await connected_bridge.stop()  # idempotent


async def test_given_nothing_listens_when_bridge_starts_then_it_reports_down_and_retries(
    bus_log: BusLog, recording_tracker: RecordingTracker
) -> None:
    server = FakeAmiServer()
    port = await server.start()
    await server.close()  # the port is now closed
    delays: list[float] = []

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)
        await asyncio.sleep(0)  # a refused loopback connect may not yield at all

    bridge = AmiBridge(
        AmiLogin("127.0.0.1", port, "u", "s"),
        tracker=recording_tracker,
        bus=bus_log.bus,
        sleep=fake_sleep,
        reconnect=ReconnectPolicy(initial=1.0, maximum=8.0, jitter=0.0),
    )
    await bridge.start()
    try:
        await eventually(lambda: len(delays) >= 3, "three attempts")
        await bus_log.bus.drain()
        assert delays[:3] == [1.0, 2.0, 4.0]
        assert "cannot connect" in bridge.status.last_error
        assert ami_status(bus_log) == [False]
    finally:
        await bridge.stop()


async def test_given_a_burst_of_20000_events_and_a_fast_keepalive_when_received_then_all_are_applied_on_one_connection(
    make_bridge: Any, ami_server: FakeAmiServer, recording_tracker: RecordingTracker, bus_log: BusLog
) -> None:
    # The Pong is queued behind the burst: with reading paused it cannot be read within
    # ping_timeout. The bridge must slow its reading down, not drop its own connection.
    bridge = await make_bridge(queue_maxsize=64, ping_interval=0.02, ping_timeout=0.05)
    await eventually(lambda: bridge.status.resyncs == 1, "resync")
    ami_server.send(numbered_events(20_000))
    await eventually(lambda: len(recording_tracker.seqs()) >= 20_000, "20000 events", timeout=60)
    await bus_log.bus.drain()

    assert recording_tracker.seqs() == list(range(20_000))
    assert len(ami_server.connections) == 1 and len(ami_server.logins) == 1
    assert bridge.status.reconnects == 0 and bridge.status.failed_attempts == 0
    assert bridge.status.last_error == ""
    assert 0 < bridge.max_depth <= 64 + 20_000


async def test_given_a_burst_before_the_snapshot_reply_when_logging_in_then_the_snapshot_completes_and_nothing_is_lost(
    make_bridge: Any, ami_server: FakeAmiServer, recording_tracker: RecordingTracker
) -> None:
    # Asterisk writes what happened before it answers CoreShowChannels; the consumer waits at the
    # session marker meanwhile, so pausing reading would starve the snapshot.
    def burst_then_list(conn: FakeAmiConnection, action: ReceivedAction) -> bytes:
        return numbered_events(5_000) + event_list(
            action.get("ActionID"), "Channels will follow", [], "CoreShowChannelsComplete"
        )

    ami_server.on("CoreShowChannels", burst_then_list)
    bridge = await make_bridge(queue_maxsize=16, snapshot_timeout=2.0)
    await eventually(lambda: len(recording_tracker.seqs()) >= 5_000, "5000 events", timeout=30)

    assert recording_tracker.seqs() == list(range(5_000))
    assert bridge.status.resyncs == 1 and bridge.status.failed_attempts == 0
    assert len(ami_server.logins) == 1


async def test_given_the_bridge_up_then_down_when_health_is_asked_then_it_says_so_in_chinese(
    connected_bridge: AmiBridge, ami_server: FakeAmiServer
) -> None:
    assert connected_bridge.health() == (True, "")
    ami_server.silence("Login")
    ami_server.drop()
    await eventually(lambda: not connected_bridge.status.connected, "dropped")
    up, detail = connected_bridge.health()
    assert not up and ("未连接" in detail or detail == "连接中")
