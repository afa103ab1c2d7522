"""What each page's live socket is sent: its feed (issue 21).

A page that applies only some event types opens `/ws/events?feed=<name>` and the hub sends it
only those (and always `hello` and `StateResynced`); a socket without a feed gets every event its
viewer may see (the event board at `/`, which lists them all). Who may see an event is still
`core.access.Scope`'s rule; a feed only narrows what a page would throw away.

Why: the supervisor board (supervisor.html) applies four kinds of event and reads the rest on its
periodic refresh, yet at 400 concurrent calls every board was sent some 300 events a second, each
serialised, written and parsed in the browser for nothing; those were most of the hub's writes.

A feed lists event type names, or a prefix ending in `*` (`WorkOrder*`). Each page's handled
types are checked against its feed by `tests/console/test_feeds.py`, which reads the page's
JavaScript: a `case "X"` added to a page without adding X to its feed fails there.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, eq=False)
class Feed:
    name: str
    patterns: tuple[str, ...]
    _wanted: dict[str, bool] = field(default_factory=dict, repr=False)

    def wants(self, event_type: str) -> bool:
        """Whether a socket on this feed is sent events of `event_type` (answer kept per type)."""
        hit = self._wanted.get(event_type)
        if hit is None:
            hit = self._wanted[event_type] = any(
                event_type.startswith(p[:-1]) if p.endswith("*") else event_type == p for p in self.patterns
            )
        return hit

    def names(self) -> tuple[str, ...]:
        """The exact event type names of this feed (its prefixes left out)."""
        return tuple(p for p in self.patterns if not p.endswith("*"))


FEEDS: dict[str, Feed] = {
    feed.name: feed
    for feed in (
        # seat.js: the seat's own state and calls, the open call's transcript and end, the
        # supervisor's steering, its work orders' deadlines, the recogniser's status.
        Feed(
            "seat",
            (
                "SeatStateChanged",
                "SeatRinging",
                "SeatSteered",
                "SeatJoinedQueue",
                "SeatLeftQueue",
                "TranscriptSegment",
                "PostCallTranscriptReady",
                "CallAnswered",
                "CallEnded",
                "CallTransferred",
                "CallTakenOver",
                "ThirdPartyJoined",
                "ThirdPartyLeft",
                "SurveyAnswered",
                "WorkOrderSlaWarning",
                "ComponentStatusChanged",
            ),
        ),
        # supervisor.html (the 班长 board): seats' states and steering, deadline alerts and
        # recording alerts; call figures come on its periodic refresh.
        Feed(
            "supervisor",
            (
                "SeatStateChanged",
                "SeatSteered",
                "WorkOrderSlaWarning",
                "WorkOrderSlaBreached",
                "RecordingAlertRaised",
            ),
        ),
        # orders.html: the work orders and their callback attempts.
        Feed("orders", ("WorkOrder*", "CallbackAttempt*")),
    )
}


class UnknownFeed(ValueError):
    pass


def feed_named(name: str | None) -> Feed | None:
    """The feed a socket asked for; None (no name): every event. Raises `UnknownFeed`."""
    if not name:
        return None
    try:
        return FEEDS[name]
    except KeyError:
        raise UnknownFeed(name) from None
