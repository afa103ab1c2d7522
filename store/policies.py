"""Service policies supervisors set, kept as JSON by name (`seats.wrap_up.WrapUpPolicies`)."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from seats.wrap_up import StoredWrapUpPolicy, WrapUpPolicy
from store.db import Database
from store.models import ServicePolicyRow

WRAP_UP = "wrap_up"


def put_policy(db: Database, name: str, value: dict[str, Any], *, by: str, at: datetime) -> None:
    """Write the policy `name` (insert or replace), saying who set it when."""
    with db.session() as s:
        row = s.get(ServicePolicyRow, name)
        if row is None:
            s.add(ServicePolicyRow(name=name, value=value, updated_at=at, updated_by=by))
        else:
            row.value, row.updated_at, row.updated_by = value, at, by


def policy_fields(db: Database, name: str, shape: type[Any]) -> dict[str, Any]:
    """The policy `name` as `put_policy` wrote it, cut to the fields of the dataclass `shape` (a
    key it no longer has is left out); empty when it was never set (the defaults)."""
    with db.session() as s:
        row = s.get(ServicePolicyRow, name)
        if row is None:
            return {}
        known = {f.name for f in fields(shape)}
        return {k: v for k, v in row.value.items() if k in known}


class ServicePolicyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def wrap_up(self) -> StoredWrapUpPolicy:
        with self._db.session() as s:
            row = s.get(ServicePolicyRow, WRAP_UP)
            if row is None:
                return StoredWrapUpPolicy(policy=WrapUpPolicy())
            known = {k: int(v) for k, v in row.value.items() if k in ("step_s", "max_s")}
            return StoredWrapUpPolicy(
                policy=WrapUpPolicy(**known), updated_at=row.updated_at, updated_by=row.updated_by
            )

    def set_wrap_up(self, policy: WrapUpPolicy, *, by: str, at: datetime) -> StoredWrapUpPolicy:
        policy.checked()
        put_policy(self._db, WRAP_UP, asdict(policy), by=by, at=at)
        return StoredWrapUpPolicy(policy=policy, updated_at=at, updated_by=by)
