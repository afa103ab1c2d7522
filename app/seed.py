"""Seed data: the 21 teams of a Shanghai deployment and the demo's accounts and seats.

Teams: `seats.teams.shanghai_teams`. Demo accounts all use the demo
password; `seed_demo` refuses to run outside demo mode (the caller checks `settings.demo`).
Demo offices carry made-up addresses and phones (`routing.offices.build_offices`).
"""

from __future__ import annotations

from core.access import Role, district_team
from core.ids import SeatId, TeamId, UserId
from routing.gazetteer import SHANGHAI_DIR
from routing.office_admin import seed_offices_if_empty
from seats.models import Seat, SeatKind, User
from seats.teams import shanghai_teams
from store.knowledge import seed_demo_knowledge
from store.repositories import Repositories

JINGAN, PUDONG = "310106", "310115"
DEMO_DISTRICTS = (JINGAN, PUDONG)  # the teams with demo seats; other callers go to the city pool

# (seat id, name, kind, team, skills). Every seat takes "other" (the city pool of a caller who asks
# for a person) and most categories have two seats or more, so that one seat is never alone with a
# category. 1007 of the lawyers' association is also the expert seat (专家坐席) the others consult.
_JA, _PD = district_team(JINGAN), district_team(PUDONG)
_NOTARY, _MEDIATION, _AID = TeamId("team-notaries"), TeamId("team-mediation"), TeamId("team-legal-aid")
DEMO_SEATS: list[tuple[str, str, SeatKind, TeamId, tuple[str, ...]]] = [
    ("1001", "张律师", SeatKind.LAWYER, _JA, ("family", "labor", "contract", "legal-aid", "other")),
    ("1002", "李律师", SeatKind.LAWYER, _JA, ("labor", "property", "traffic", "other")),
    ("1003", "王律师", SeatKind.LAWYER, _PD, ("family", "contract", "property", "traffic", "other")),
    ("1004", "赵公证员", SeatKind.NOTARY, _NOTARY, ("notary", "forensic", "mediation", "other")),
    ("1005", "陈调解员", SeatKind.MEDIATOR, _MEDIATION, ("mediation", "family", "other")),
    ("1006", "刘援助律师", SeatKind.LEGAL_AID, _AID, ("legal-aid", "labor", "other")),
    ("1007", "孙专家律师", SeatKind.LAWYER, TeamId("team-lawyers"), ("labor", "contract", "other")),
]  # fmt: skip
EXPERT_SEATS = frozenset({"1007"})


def seed_demo(repos: Repositories, password_hash: str) -> None:
    """Idempotent: teams, demo seats and offices, the demo accounts (admin, supervisors, seats)."""
    seed_offices_if_empty(repos.offices, SHANGHAI_DIR, demo_contacts=True)
    seed_demo_knowledge(repos.db)  # published entries and answered records (知识库)
    for team in shanghai_teams():
        repos.teams.save(team)
    for sid, name, kind, team_id, skills in DEMO_SEATS:
        repos.seats.save(Seat(id=SeatId(sid), name=name, kind=kind, team_id=team_id, interface=f"PJSIP/{sid}",
                              skills=skills, expert=sid in EXPERT_SEATS))  # fmt: skip
    staff = [
        ("u-admin", "admin", "系统管理员", Role.ADMIN, None),
        ("u-city", "banzhang", "市级班长", Role.SUPERVISOR, None),
        ("u-jingan", "jingan", "静安区班长", Role.SUPERVISOR, JINGAN),
        ("u-qc", "zhijian", "质检员", Role.INSPECTOR, None),
    ]
    users = [
        User(id=UserId(uid), username=login, display_name=shown, role=role, password_hash=password_hash,
             scope_district_code=district)
        for uid, login, shown, role, district in staff
    ]  # fmt: skip
    users += [
        User(id=UserId(f"u-{sid}"), username=f"seat{sid}", display_name=name, role=Role.SEAT,
             password_hash=password_hash, seat_id=SeatId(sid))
        for sid, name, _kind, _team, _skills in DEMO_SEATS
    ]  # fmt: skip
    for user in users:
        if repos.users.by_username(user.username) is None:
            repos.users.add(user)
