"""The supervisors' own SIP phones (table `supervisor_phones`): rendered into Asterisk's pjsip.conf
beside the seats' phones, and rung first when a supervisor listens to a seat's call."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.errors import InvalidInput
from core.ids import UserId
from store.models import SeatRow, SupervisorPhoneRow, UserRow
from store.rows import Repo

ENDPOINT = re.compile(r"^[0-9a-z][0-9a-z_-]{0,39}$")
"""A PJSIP endpoint name the dialplan can dial (`Dial(PJSIP/<endpoint>)`)."""


class SupervisorPhoneRepository(Repo):
    def save(self, user_id: UserId, endpoint: str, password: str) -> None:
        """The user's phone; refused (`InvalidInput`) when the endpoint is malformed, unknown user,
        or already a seat's or another user's phone."""
        endpoint = endpoint.strip()
        if not ENDPOINT.match(endpoint):
            raise InvalidInput("话机号只能由小写字母、数字、下划线和短横线组成", endpoint=endpoint)
        if not password.strip() or any(c in password for c in "\n[];"):
            raise InvalidInput("话机密码不能为空，也不能包含换行、方括号或分号")
        with self._db.session() as s:
            if s.get(UserRow, user_id) is None:
                raise InvalidInput("账号不存在", user_id=user_id)
            if s.get(SeatRow, endpoint) is not None:
                raise InvalidInput("该话机号已是坐席话机", endpoint=endpoint)
            taken = s.scalars(
                select(SupervisorPhoneRow.user_id).where(
                    SupervisorPhoneRow.endpoint == endpoint, SupervisorPhoneRow.user_id != user_id
                )
            ).first()
            if taken is not None:
                raise InvalidInput("该话机号已分配给其他账号", endpoint=endpoint)
            s.merge(SupervisorPhoneRow(user_id=user_id, endpoint=endpoint, password=password))

    def endpoint(self, user_id: UserId) -> str | None:
        with self._db.session() as s:
            row = s.get(SupervisorPhoneRow, user_id)
            return row.endpoint if row else None

    def all(self) -> dict[str, str]:
        """endpoint -> password, for pjsip.conf."""
        with self._db.session() as s:
            return {r.endpoint: r.password for r in s.scalars(select(SupervisorPhoneRow))}
