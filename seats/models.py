"""Seats, teams and user accounts.

A seat (坐席) is a lawyer, notary, mediator or legal-aid worker who answers calls; seats belong to
a team (a district team, or an association team such as the lawyers' association). Any seat, of
any kind, may also be an expert seat (专家坐席): a senior colleague the other seats consult, bring
into a three-way call or pass a caller to (`Seat.expert`); it still takes its queues' calls. Users are the
accounts that log in to the console; a seat user is linked to exactly one seat.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from core.access import Account, Principal
from core.ids import SeatId, TeamId, UserId
from core.values import copy_fields


class SeatKind(enum.StrEnum):
    LAWYER = "lawyer"
    NOTARY = "notary"
    MEDIATOR = "mediator"
    LEGAL_AID = "legal_aid"


class TeamKind(enum.StrEnum):
    DISTRICT = "district"
    ASSOCIATION = "association"


@dataclass(frozen=True, slots=True, kw_only=True)
class Team:
    id: TeamId
    name: str
    kind: TeamKind
    district_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Seat:
    id: SeatId
    name: str
    kind: SeatKind
    team_id: TeamId
    interface: str
    skills: tuple[str, ...] = ()
    active: bool = True
    expert: bool = False  # 专家坐席: listed apart among the transfer targets, "任一空闲专家" picks among them


@dataclass(frozen=True, slots=True, kw_only=True)
class User(Account):
    """A console account as stored: the access model's `Account` fields, its id, its password hash."""

    id: UserId
    password_hash: str
    active: bool = True

    def principal(self) -> Principal:
        """Who this account acts as once logged in: what the access model reads, without the
        password hash."""
        return copy_fields(Principal, self, user_id=self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginSession:
    """A console login. Only a hash of the cookie token is stored."""

    token_hash: str
    user_id: UserId
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    source_ip: str = ""
    revoked: bool = False
