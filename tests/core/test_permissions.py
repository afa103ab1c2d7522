from __future__ import annotations

import pytest

from core.access import Principal, Role, may_see
from core.ids import SeatId, TeamId, UserId


def _p(role: Role, **kw: object) -> Principal:
    return Principal(user_id=UserId("u"), username="u", display_name="u", role=role, **kw)  # type: ignore[arg-type]


SEAT_1001 = _p(Role.SEAT, seat_id=SeatId("1001"))
SEAT_1002 = _p(Role.SEAT, seat_id=SeatId("1002"))
JINGAN_SUP = _p(Role.SUPERVISOR, scope_district_code="310106")
TEAM_SUP = _p(Role.SUPERVISOR, scope_team_id=TeamId("team-310106"))
CITY_SUP = _p(Role.SUPERVISOR)
ADMIN = _p(Role.ADMIN)

CALL_AT_1001 = frozenset({"seat:1001", "team:team-310106", "district:310106"})
CALL_IN_PUDONG = frozenset({"district:310115"})


@pytest.mark.parametrize(
    ("who", "audience", "about_a_call", "expected"),
    [
        (SEAT_1001, CALL_AT_1001, True, True),
        (SEAT_1002, CALL_AT_1001, True, False),  # a seat never sees another seat's call
        (SEAT_1002, frozenset(), True, False),
        (SEAT_1002, frozenset(), False, True),  # system notices (resync) reach everybody
        (JINGAN_SUP, CALL_AT_1001, True, True),
        (JINGAN_SUP, CALL_IN_PUDONG, True, False),
        (JINGAN_SUP, frozenset(), True, False),
        (TEAM_SUP, CALL_AT_1001, True, True),
        (TEAM_SUP, CALL_IN_PUDONG, True, False),
        (CITY_SUP, CALL_IN_PUDONG, True, True),
        (ADMIN, frozenset(), True, True),
    ],
)
def test_given_roles_and_audiences_when_filtering_then_only_the_right_people_see_events(
    who: Principal, audience: frozenset[str], about_a_call: bool, expected: bool
) -> None:
    assert may_see(who, audience, about_a_call=about_a_call) is expected
