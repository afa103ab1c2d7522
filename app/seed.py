"""Seed data: the 21 teams of a Shanghai deployment and the demo's accounts and seats.

Teams: one per district (16) plus the city's lawyers', notaries', forensic-appraisal and
mediation associations and the city legal-aid centre (5). Demo accounts all use the demo
password; `seed_demo` refuses to run outside demo mode (the caller checks `settings.demo`).
"""

from __future__ import annotations

from core.access import Role, district_team
from core.ids import SeatId, TeamId, UserId
from routing.districts import DISTRICTS
from seats.models import Seat, SeatKind, Team, TeamKind, User
from store.repositories import Repositories

ASSOCIATIONS: dict[str, str] = {
    "team-lawyers": "市律师协会",
    "team-notaries": "市公证协会",
    "team-forensic": "市司法鉴定协会",
    "team-mediation": "市人民调解协会",
    "team-legal-aid": "市法律援助中心",
}


def seed_teams() -> list[Team]:
    teams = [
        Team(id=district_team(code), name=f"{name}坐席团队", kind=TeamKind.DISTRICT, district_code=code)
        for code, name in DISTRICTS.items()
    ]
    teams += [
        Team(id=TeamId(tid), name=name, kind=TeamKind.ASSOCIATION) for tid, name in ASSOCIATIONS.items()
    ]
    return teams


# (seat id, name, kind, team, skills)
DEMO_SEATS: list[tuple[str, str, SeatKind, TeamId, tuple[str, ...]]] = [
    ("1001", "张律师", SeatKind.LAWYER, district_team("310106"), ("family", "labor", "contract", "other")),
    (
        "1002",
        "李律师",
        SeatKind.LAWYER,
        district_team("310106"),
        ("labor", "property", "traffic", "other"),
    ),
    (
        "1003",
        "王律师",
        SeatKind.LAWYER,
        district_team("310115"),
        ("family", "contract", "property", "other"),
    ),
    ("1004", "赵公证员", SeatKind.NOTARY, TeamId("team-notaries"), ("notary", "forensic", "other")),
    ("1005", "陈调解员", SeatKind.MEDIATOR, TeamId("team-mediation"), ("mediation", "family", "other")),
    ("1006", "刘援助律师", SeatKind.LEGAL_AID, TeamId("team-legal-aid"), ("legal-aid", "labor", "other")),
]


def seed_demo(repos: Repositories, password_hash: str) -> None:
    """Idempotent: teams, demo seats, and the demo accounts (admin, supervisors, one per seat)."""
    for team in seed_teams():
        repos.teams.save(team)
    for sid, name, kind, team_id, skills in DEMO_SEATS:
        repos.seats.save(
            Seat(
                id=SeatId(sid), name=name, kind=kind, team_id=team_id, interface=f"PJSIP/{sid}", skills=skills
            )
        )
    users = [
        User(
            id=UserId("u-admin"),
            username="admin",
            display_name="系统管理员",
            role=Role.ADMIN,
            password_hash=password_hash,
        ),
        User(
            id=UserId("u-city"),
            username="banzhang",
            display_name="市级班长",
            role=Role.SUPERVISOR,
            password_hash=password_hash,
        ),
        User(
            id=UserId("u-jingan"),
            username="jingan",
            display_name="静安区班长",
            role=Role.SUPERVISOR,
            password_hash=password_hash,
            scope_district_code="310106",
        ),
    ]
    users += [
        User(
            id=UserId(f"u-{sid}"),
            username=f"seat{sid}",
            display_name=name,
            role=Role.SEAT,
            password_hash=password_hash,
            seat_id=SeatId(sid),
        )
        for sid, name, _kind, _team, _skills in DEMO_SEATS
    ]
    for user in users:
        if repos.users.by_username(user.username) is None:
            repos.users.add(user)
