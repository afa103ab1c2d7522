"""Audit log entries: who did what, when, to what. Written for every action a user takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.ids import UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    at: datetime
    actor: UserId | None
    action: str
    target: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    source_ip: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    """Which entries one page of the audit log holds (the admins' audit page): actions starting
    with one of `prefixes` (all: empty), by `actor`, at `since` or later and before `until`;
    `limit` of them, newest first, after skipping `offset`."""

    prefixes: tuple[str, ...] = ()
    actor: UserId | None = None
    since: datetime | None = None
    until: datetime | None = None
    offset: int = 0
    limit: int = 50
