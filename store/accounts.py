"""`hotline user add`: a console account, checked against the seats and teams in the database."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

from core.access import Role
from core.errors import ConfigurationError, NotFound
from core.ids import SeatId, TeamId, UserId, new_id
from seats.models import User
from store.db import Database
from store.repositories import Repositories

MIN_PASSWORD_LENGTH = 8


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigurationError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")


def check_seat_named(role: Role, seat: str | None) -> None:
    """A seat's account names its seat (checked before the password is asked for)."""
    if role is Role.SEAT and not seat:
        raise ConfigurationError("角色为坐席时必须指定 --seat")


def add_account(
    repos: Repositories,
    *,
    username: str,
    role: Role,
    display_name: str,
    password_hash: str,
    seat: str | None = None,
    team: str | None = None,
    district: str | None = None,
) -> User:
    """Add the account; ConfigurationError (in Chinese) when its seat or team is unknown, a seat
    account names no seat, or the username is taken."""
    check_seat_named(role, seat)
    if seat:
        try:
            repos.seats.get(SeatId(seat))
        except NotFound:
            raise ConfigurationError(
                f"不存在该坐席：{seat}（请先用 hotline seats import 坐席.csv 导入坐席）"
            ) from None
    if team:
        try:
            repos.teams.get(TeamId(team))
        except NotFound:
            raise ConfigurationError(f"不存在该团队：{team}") from None
    if repos.users.by_username(username) is not None:
        raise ConfigurationError(f"用户名已存在：{username}")
    user = User(
        id=UserId(new_id("u_")),
        username=username,
        display_name=display_name,
        role=role,
        password_hash=password_hash,
        seat_id=SeatId(seat) if seat else None,
        scope_team_id=TeamId(team) if team else None,
        scope_district_code=district,
    )
    repos.users.add(user)
    return user


def add_account_at(
    url: str,
    *,
    username: str,
    role: Role,
    display_name: str,
    password: str,
    hash_password: Callable[[str], str],
    seat: str | None = None,
    team: str | None = None,
    district: str | None = None,
) -> User:
    """`hotline user add`: the account into the database at `url`, its password checked, then
    hashed with `hash_password` (the console's own hashing)."""
    check_password(password)
    with Database(url) as db:
        return add_account(
            Repositories(db),
            username=username,
            role=role,
            display_name=display_name,
            password_hash=hash_password(password),
            seat=seat,
            team=team,
            district=district,
        )


def ask_password() -> str:
    """The new account's password: a line of standard input when piped, else asked without echo."""
    return sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass("密码：")


def add_account_asking(
    url: str,
    *,
    username: str,
    role: str,
    display_name: str,
    hash_password: Callable[[str], str],
    seat: str | None = None,
    team: str | None = None,
    district: str | None = None,
) -> User:
    """`hotline user add`: a seat's account names its seat, checked before the password is asked
    for (`ask_password`); then `add_account_at`."""
    checked = Role(role)
    check_seat_named(checked, seat)
    return add_account_at(
        url,
        username=username,
        role=checked,
        display_name=display_name,
        password=ask_password(),
        hash_password=hash_password,
        seat=seat,
        team=team,
        district=district,
    )
