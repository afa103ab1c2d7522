"""Components the lifespan starts in order and stops in reverse order.

Each adapter package builds its own part from its settings section as an object with `start`,
`stop` and, where its health changes while it runs, `probe`; the composition root only lists them,
in order, with the name and label the status page shows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from core.clock import Clock
from core.events import ComponentStatusChanged, DomainEvent

log = logging.getLogger(__name__)


async def _nothing() -> None:
    return None


Probe = Callable[[], tuple[bool, str]]


class Part(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass
class Component:
    """A named thing with start/stop coroutines and a status line for the status page."""

    name: str
    label: str
    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]
    required: bool = True
    up: bool = False
    detail: str = ""
    # A component whose health changes while it runs (the AMI link, the ASR model) reports it live
    # through `probe`; the AMI bridge also publishes its own ComponentStatusChanged events.
    probe: Probe | None = None
    announces_itself: bool = False

    @classmethod
    def of(
        cls,
        name: str,
        label: str,
        part: Part,
        *,
        required: bool = True,
        probe: Probe | None = None,
        announces_itself: bool = False,
    ) -> Component:
        """A component over a part that starts and stops itself."""
        return cls(
            name, label, part.start, part.stop, required, probe=probe, announces_itself=announces_itself
        )

    @classmethod
    def once(
        cls,
        name: str,
        label: str,
        start: Callable[[], Awaitable[None]],
        *,
        required: bool = True,
        probe: Probe | None = None,
    ) -> Component:
        """A component that only sets something up (a bus subscription): nothing to stop."""
        return cls(name, label, start, _nothing, required=required, probe=probe)


@dataclass
class ComponentSet:
    items: list[Component] = field(default_factory=list)
    started: list[Component] = field(default_factory=list)

    def add(self, component: Component) -> None:
        self.items.append(component)

    def extend(self, components: list[Component]) -> None:
        self.items.extend(components)

    async def start_all(self) -> None:
        for c in self.items:
            try:
                await c.start()
            except Exception as exc:
                c.up, c.detail = False, f"{type(exc).__name__}: {exc}"
                if c.required:
                    log.error("component %s failed to start: %s", c.name, exc)
                    await self.stop_all()
                    raise
                # Optional components (ASR, Redis fan-out) may be down: calls go on without them.
                log.warning("component %s is down: %s", c.name, exc)
                continue
            c.up = True
            self.started.append(c)

    async def stop_all(self) -> None:
        while self.started:
            c = self.started.pop()
            try:
                await c.stop()
            except Exception:
                log.exception("component %s failed to stop", c.name)
            c.up = False

    async def announce(self, publish: Callable[[DomainEvent], Awaitable[None]], clock: Clock) -> None:
        """Publish each component's state once all have started (but those that announce themselves)."""
        for c, st in zip(self.items, self.status(), strict=True):
            if not c.announces_itself:
                up, detail = bool(st["up"]), str(st["detail"])
                await publish(ComponentStatusChanged(at=clock.now(), component=c.name, up=up, detail=detail))

    def status(self, probed: Mapping[str, tuple[bool, str]] | None = None) -> list[dict[str, object]]:
        """`probed`: probe results already taken (elsewhere: a round trip on a worker thread), by name."""
        probed = probed or {}
        out: list[dict[str, object]] = []
        for c in self.items:
            if c.probe is None or not c.up:
                up, detail = c.up, c.detail
            else:
                up, detail = probed[c.name] if c.name in probed else c.probe()
            out.append({"name": c.name, "label": c.label, "up": up, "detail": detail, "required": c.required})
        return out
