"""Domain events: past-tense facts that flow over the bus.

Every event is a frozen, keyword-only dataclass deriving from `DomainEvent`. Subclasses register
themselves by class name so that events can cross process boundaries (Redis fan-out, the
websocket to the console) as plain JSON and come back as the same dataclass: `to_wire` and
`from_wire` below. Events of one kind may share their common fields through a private base
(`_QueueMemberEvent`, `_WorkOrderEvent`...): a class whose name starts with `_` is never
published and is not registered.

An event that any package other than its producer reads is defined in `core`, so consumers
match it by class and typed field: `core.call_events` (produced by `pbx`), `core.ivr_events`
(`ivr`), `core.asr_events` (`asr`), `core.seat_events` (`seats`). Events only their own package
reads stay there (`callbacks.events`). `tests/core/test_event_homes.py` keeps this true.

Events carry *audience keys* (`seat:1001`, `team:jingan`, `district:310106`) so that the console
hub can filter what each user receives without knowing the domain.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Union

from core.access import queue_district
from core.ids import CallId, EventId, new_event_id

_REGISTRY: dict[str, type[DomainEvent]] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Base of all domain events. `at` is when the fact happened (from the PBX when it comes from it)."""

    at: datetime
    event_id: EventId = field(default_factory=new_event_id)

    # Names of fields that, when present and not None, become audience keys.
    audience_fields: ClassVar[tuple[str, ...]] = ("seat_id", "team_id", "district_code")

    def __init_subclass__(cls) -> None:
        # No zero-argument super() here: dataclass(slots=True) rebuilds the class, which breaks
        # the implicit __class__ cell. dataclass also registers the class twice (before and
        # after the slots rebuild); the last one registered is the one callers use.
        # A private base (`_QueueMemberEvent`...) only shares fields among events of one kind: it
        # is never published, so it is no event type.
        if not cls.__name__.startswith("_"):
            _REGISTRY[cls.__name__] = cls

    @property
    def event_type(self) -> str:
        return type(self).__name__

    def audience(self) -> frozenset[str]:
        """Keys saying who may see this event; an empty set means supervisors and admins only."""
        keys: set[str] = set()
        for name in self.audience_fields:
            value = getattr(self, name, None)
            if value:
                prefix = name.removesuffix("_id").removesuffix("_code")
                keys.add(f"{prefix}:{value}")
        queue = getattr(self, "queue", None)
        # An event about a district's queue is visible to that district's supervisors even before
        # the IVR has tagged the call.
        if isinstance(queue, str) and (district := queue_district(queue)[0]):
            keys.add(f"district:{district}")
        return frozenset(keys)


def call_id_of(event: DomainEvent) -> CallId | None:
    """The call an event is about, or None for one about no call: for consumers that take every
    event naming a call (the trail recorder, the hub's visibility rule). Generic machinery like
    `audience`; consumers that need a particular event match on its class."""
    value = getattr(event, "call_id", None)
    return None if value is None else CallId(str(value))


class UnknownEventType(KeyError):
    pass


def event_class(name: str) -> type[DomainEvent]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownEventType(name) from None


def to_wire(event: DomainEvent) -> dict[str, Any]:
    """A JSON-ready dict: {"type": ..., "data": {...}}."""
    data = {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return {"type": event.event_type, "data": data}


def from_wire(payload: Mapping[str, Any]) -> DomainEvent:
    cls = event_class(str(payload["type"]))
    raw = payload["data"]
    kwargs = {name: _decode(raw[name], hint) for name, hint in _fields_of(cls) if name in raw}
    return cls(**kwargs)


_FIELDS: dict[type[DomainEvent], tuple[tuple[str, Any], ...]] = {}


def _fields_of(cls: type[DomainEvent]) -> tuple[tuple[str, Any], ...]:
    """Each field's name and resolved type, worked out once per event class: `get_type_hints`
    evaluates the annotations' strings every time (a web process decoding every event from Redis
    spent its longest loop stalls there)."""
    fields = _FIELDS.get(cls)
    if fields is None:
        hints = typing.get_type_hints(cls)
        fields = _FIELDS[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
    return fields


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list | frozenset):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        for arm in typing.get_args(hint):
            if arm is type(None):
                continue
            return _decode(value, arm)
        return value
    supertype = getattr(hint, "__supertype__", None)  # NewType
    if supertype is not None:
        return _decode(value, supertype)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if origin is tuple:
        args = typing.get_args(hint)
        item = args[0] if args else Any
        return tuple(_decode(v, item) for v in value)
    if origin is frozenset:
        (item,) = typing.get_args(hint) or (Any,)
        return frozenset(_decode(v, item) for v in value)
    if origin is dict or origin is Mapping:
        args = typing.get_args(hint)
        vhint = args[1] if len(args) == 2 else Any
        return {k: _decode(v, vhint) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class StateResynced(DomainEvent):
    """Live state was rebuilt from a PBX snapshot (after a (re)login): consoles should reload."""

    source: str
    calls: int = 0
    seats: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentStatusChanged(DomainEvent):
    """A component (AMI bridge, AGI server, ASR, Redis fan-out...) went up or down."""

    component: str
    up: bool
    detail: str = ""
