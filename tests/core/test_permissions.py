from __future__ import annotations

import pytest

from core.access import Principal, Role, Scope, Scopes
from core.ids import SeatId, TeamId, UserId
from seats.models import Seat, SeatKind, Team, TeamKind


def _p(role: Role, **kw: object) -> Principal:
    return Principal(user_id=UserId("u"), username="u", display_name="u", role=role, **kw)  # type: ignore[arg-type]


TEAMS = [
    Team(id=TeamId("team-310106"), name="静安区坐席团队", kind=TeamKind.DISTRICT, district_code="310106"),
    Team(id=TeamId("team-310115"), name="浦东新区坐席团队", kind=TeamKind.DISTRICT, district_code="310115"),
    Team(id=TeamId("team-notaries"), name="市公证协会", kind=TeamKind.ASSOCIATION),
]
SEATS = [
    Seat(id=SeatId(sid), name=sid, kind=SeatKind.LAWYER, team_id=TeamId(team), interface=f"PJSIP/{sid}")
    for sid, team in (("1001", "team-310106"), ("1002", "team-310106"), ("1003", "team-310115"))
]

SEAT_1001 = _p(Role.SEAT, seat_id=SeatId("1001"))
SEAT_1002 = _p(Role.SEAT, seat_id=SeatId("1002"))
JINGAN_SUP = _p(Role.SUPERVISOR, scope_district_code="310106")
TEAM_SUP = _p(Role.SUPERVISOR, scope_team_id=TeamId("team-310106"))
NOTARY_SUP = _p(Role.SUPERVISOR, scope_team_id=TeamId("team-notaries"))
CITY_SUP = _p(Role.SUPERVISOR)
ADMIN = _p(Role.ADMIN)

CALL_AT_1001 = frozenset({"seat:1001", "team:team-310106", "district:310106"})
ONLY_SEAT_1001 = frozenset({"seat:1001"})  # e.g. a transcript segment of seat 1001's call
ONLY_TEAM_JINGAN = frozenset({"team:team-310106"})  # e.g. a work order in the district team's pool
CALL_IN_PUDONG = frozenset({"district:310115"})


@pytest.mark.parametrize(
    ("who", "audience", "about_a_call", "expected"),
    [
        (SEAT_1001, CALL_AT_1001, True, True),
        (SEAT_1001, ONLY_SEAT_1001, True, True),
        (SEAT_1002, CALL_AT_1001, True, False),  # a seat never sees another seat's call
        (SEAT_1002, ONLY_TEAM_JINGAN, False, False),  # nor its team's pool facts (it lists them)
        (SEAT_1002, frozenset(), True, False),
        (SEAT_1002, frozenset(), False, True),  # system notices (resync) reach everybody
        (JINGAN_SUP, CALL_AT_1001, True, True),
        (JINGAN_SUP, ONLY_SEAT_1001, True, True),  # a seat of the district's team
        (JINGAN_SUP, ONLY_TEAM_JINGAN, False, True),
        (JINGAN_SUP, CALL_IN_PUDONG, True, False),
        (JINGAN_SUP, frozenset({"seat:1003"}), True, False),
        (JINGAN_SUP, frozenset(), True, False),
        (JINGAN_SUP, frozenset(), False, True),
        (TEAM_SUP, CALL_AT_1001, True, True),
        (TEAM_SUP, ONLY_SEAT_1001, True, True),
        (TEAM_SUP, frozenset({"district:310106"}), True, False),  # a team, not the district
        (TEAM_SUP, CALL_IN_PUDONG, True, False),
        (NOTARY_SUP, CALL_AT_1001, True, False),
        (CITY_SUP, CALL_IN_PUDONG, True, True),
        (ADMIN, frozenset(), True, True),
    ],
)
def test_given_roles_and_audiences_when_filtering_then_only_the_right_people_see_events(
    who: Principal, audience: frozenset[str], about_a_call: bool, expected: bool
) -> None:
    assert Scope.of(who, TEAMS, SEATS).sees(audience, about_a_call=about_a_call) is expected


def test_given_a_seat_when_scoping_then_it_lists_its_team_but_is_pushed_its_own_seat_only() -> None:
    scope = Scope.of(SEAT_1001, TEAMS, SEATS)
    assert scope.sees_team("team-310106") and not scope.sees_team("team-310115")
    assert scope.keys == {"seat:1001"}


def test_given_cached_scopes_when_seats_change_then_the_scope_follows_after_changed_or_max_age() -> None:
    seats = list(SEATS)
    loads: list[int] = []
    clock = [0.0]

    def load() -> tuple[list[Team], list[Seat]]:
        loads.append(1)
        return TEAMS, list(seats)

    scopes = Scopes(load, max_age_s=30.0, now=lambda: clock[0])
    assert not scopes.of(JINGAN_SUP).sees({"seat:1009"}, about_a_call=True)
    seats.append(
        Seat(
            id=SeatId("1009"),
            name="新",
            kind=SeatKind.LAWYER,
            team_id=TeamId("team-310106"),
            interface="PJSIP/1009",
        )
    )
    scopes.of(CITY_SUP)
    assert len(loads) == 1  # cached: one read of the teams and seats for everybody
    assert not scopes.of(JINGAN_SUP).sees({"seat:1009"}, about_a_call=True)
    scopes.changed()
    assert scopes.of(JINGAN_SUP).sees({"seat:1009"}, about_a_call=True)
    seats.pop()
    clock[0] = 31.0
    assert not scopes.of(JINGAN_SUP).sees({"seat:1009"}, about_a_call=True)
    assert len(loads) == 3


def test_queue_district_reads_every_category_of_the_queue_rules() -> None:
    from core.access import queue_district
    from routing.queues import LegalCategory

    for category in LegalCategory:
        assert queue_district(f"q-310106-{category.value}") == ("310106", category.value)
    assert queue_district("q-city-labor") == (None, None)
    assert queue_district("q-afterhours") == (None, None)
