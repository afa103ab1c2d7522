"""Service policies supervisors set, kept as JSON by name (`seats.wrap_up.WrapUpPolicies`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from seats.wrap_up import StoredWrapUpPolicy, WrapUpPolicy
from store.db import Database
from store.models import ServicePolicyRow

WRAP_UP = "wrap_up"


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
        with self._db.session() as s:
            row = s.get(ServicePolicyRow, WRAP_UP)
            if row is None:
                s.add(ServicePolicyRow(name=WRAP_UP, value=asdict(policy), updated_at=at, updated_by=by))
            else:
                row.value, row.updated_at, row.updated_by = asdict(policy), at, by
        return StoredWrapUpPolicy(policy=policy, updated_at=at, updated_by=by)
