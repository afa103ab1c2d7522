"""The AMI link as the runtime builds it from the `ami` settings section: the bridge (Asterisk's
events in, through the tracker onto the bus) and the call control over it (actions out)."""

from __future__ import annotations

from core.bus import EventBus
from core.clock import Clock
from pbx.ami_bridge import AmiBridge
from pbx.ami_control import AmiCallControl
from pbx.settings import AmiSettings
from pbx.tracker import CallTracker


def ami_link(
    settings: AmiSettings, *, port: int, tracker: CallTracker, bus: EventBus, clock: Clock
) -> tuple[AmiBridge, AmiCallControl]:
    """The bridge to `port` (the embedded simulator's, else `settings.port`), not started yet."""
    bridge = AmiBridge(settings.login(port), tracker=tracker, bus=bus, clock=clock)
    return bridge, AmiCallControl(bridge, timeout=settings.action_timeout_s)
