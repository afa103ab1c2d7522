from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from callbacks.models import MissedCall, MissReason, OrderFilter, WorkOrder, WorkOrderStatus
from core.access import Role
from core.audit import AuditEntry
from core.calls import CallRecord, CallStatus, CallTrailEntry, TranscriptLine
from core.clock import CHINA_TZ
from core.errors import Conflict, NotFound
from core.ids import CallId, EventId, SeatId, TeamId, UserId, WorkOrderId
from seats.models import Seat, SeatKind, Team, TeamKind, User
from stats.models import Satisfaction, SurveyAnswer
from store.db import Database
from store.repositories import Repositories

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def repos(db: Database) -> Repositories:
    return Repositories(db)


def _order(oid: str, number: str, at: datetime = T0) -> WorkOrder:
    return WorkOrder(
        id=WorkOrderId(oid),
        caller_number=number,
        reason=MissReason.ABANDONED,
        status=WorkOrderStatus.POOL,
        team_id=TeamId("team-310106"),
        created_at=at,
        deadline=at + timedelta(minutes=30),
    )


def test_given_a_call_when_saved_and_updated_then_it_reads_back_with_aware_times(repos: Repositories) -> None:
    call = CallRecord(
        id=CallId("1795299105.2"), caller_number="13800138000", offered_at=T0, ivr_path=("1", "2")
    )
    repos.calls.save(call)
    answered = CallRecord(
        id=call.id,
        caller_number=call.caller_number,
        offered_at=T0,
        status=CallStatus.TALKING,
        seat_id=SeatId("1001"),
        answered_at=T0 + timedelta(seconds=12),
        wait_seconds=12.0,
        ivr_path=("1", "2"),
    )
    repos.calls.save(answered)

    got = repos.calls.get(call.id)
    assert got == answered
    assert got.answered_at is not None and got.answered_at.tzinfo is not None
    assert repos.calls.count() == 1


def test_given_a_shanghai_time_when_saved_then_the_same_instant_comes_back_in_utc(
    repos: Repositories,
) -> None:
    shanghai = datetime(2026, 11, 23, 10, 0, tzinfo=UTC).astimezone(CHINA_TZ)
    repos.calls.save(CallRecord(id=CallId("c1"), caller_number="1", offered_at=shanghai))
    assert repos.calls.get(CallId("c1")).offered_at == shanghai
    assert repos.calls.get(CallId("c1")).offered_at.utcoffset() == timedelta(0)


def test_given_unknown_call_when_getting_then_not_found(repos: Repositories) -> None:
    with pytest.raises(NotFound):
        repos.calls.get(CallId("nope"))
    assert repos.calls.find(CallId("nope")) is None


def test_given_recent_calls_when_listing_by_number_then_only_that_number_newest_first(
    repos: Repositories,
) -> None:
    for i, number in enumerate(["111", "222", "111"]):
        repos.calls.save(
            CallRecord(id=CallId(f"c{i}"), caller_number=number, offered_at=T0 + timedelta(minutes=i))
        )
    assert [c.id for c in repos.calls.recent(caller_number="111")] == ["c2", "c0"]
    assert [c.id for c in repos.calls.between(T0, T0 + timedelta(minutes=2))] == ["c0", "c1"]


def test_given_trail_events_when_appended_twice_then_each_is_kept_once_in_order(repos: Repositories) -> None:
    entries = [
        CallTrailEntry(call_id=CallId("c1"), event_id=EventId(f"c1:{n}"), event_type=n, at=T0, data={"k": i})
        for i, n in enumerate(["CallOffered", "CallQueued", "CallAnswered"])
    ]
    assert all(repos.calls.append_event(e) for e in entries)
    assert not any(repos.calls.append_event(e) for e in entries)  # replay

    trail = repos.calls.trail(CallId("c1"))
    assert [t.event_type for t in trail] == ["CallOffered", "CallQueued", "CallAnswered"]
    assert trail[1].data == {"k": 1}


def test_given_teams_and_seats_when_saved_then_listed_by_team(repos: Repositories) -> None:
    repos.teams.save(
        Team(id=TeamId("team-310106"), name="静安区团队", kind=TeamKind.DISTRICT, district_code="310106")
    )
    seat = Seat(
        id=SeatId("1001"),
        name="张律师",
        kind=SeatKind.LAWYER,
        team_id=TeamId("team-310106"),
        interface="PJSIP/1001",
        skills=("labor", "family"),
    )
    repos.seats.save(seat)
    assert repos.teams.get(TeamId("team-310106")).name == "静安区团队"
    assert repos.seats.by_team(TeamId("team-310106")) == [seat]
    assert repos.seats.get(SeatId("1001")).skills == ("labor", "family")


def test_given_a_user_when_adding_the_same_username_again_then_conflict(repos: Repositories) -> None:
    user = User(id=UserId("u1"), username="zhang", display_name="张律师", role=Role.SEAT, password_hash="h")
    repos.users.add(user)
    with pytest.raises(Conflict):
        repos.users.add(
            User(id=UserId("u2"), username="zhang", display_name="x", role=Role.ADMIN, password_hash="h")
        )
    repos.users.set_password_hash(UserId("u1"), "h2")
    found = repos.users.by_username("zhang")
    assert found is not None and found.password_hash == "h2" and found.role is Role.SEAT


def test_given_missed_calls_from_one_number_when_recorded_then_one_open_order_counts_them(
    repos: Repositories,
) -> None:
    order, created = repos.work_orders.record_miss(
        MissedCall(call_id=CallId("c1"), order_id=WorkOrderId("o1"), reason=MissReason.ABANDONED, at=T0),
        _order("o1", "13800138000"),
    )
    assert created and order.misses == 1
    order2, created2 = repos.work_orders.record_miss(
        MissedCall(call_id=CallId("c2"), order_id=WorkOrderId("o2"), reason=MissReason.TIMED_OUT, at=T0),
        _order("o2", "13800138000"),
    )
    assert not created2 and order2.id == "o1" and order2.misses == 2
    assert [m.call_id for m in repos.work_orders.calls_of(WorkOrderId("o1"))] == ["c1", "c2"]


def test_given_a_missed_call_when_recorded_again_then_nothing_changes(repos: Repositories) -> None:
    miss = MissedCall(call_id=CallId("c1"), order_id=WorkOrderId("o1"), reason=MissReason.ABANDONED, at=T0)
    repos.work_orders.record_miss(miss, _order("o1", "139"))
    again, created = repos.work_orders.record_miss(miss, _order("o9", "139"))
    assert not created and again.id == "o1" and again.misses == 1
    assert repos.work_orders.count_missed_calls() == 1


def test_given_a_closed_order_when_the_number_misses_again_then_a_new_order_opens(
    repos: Repositories,
) -> None:
    order, _ = repos.work_orders.record_miss(
        MissedCall(call_id=CallId("c1"), order_id=WorkOrderId("o1"), reason=MissReason.ABANDONED, at=T0),
        _order("o1", "137"),
    )
    repos.work_orders.update(replace(order, status=WorkOrderStatus.CLOSED_REACHED, closed_at=T0))
    _, created = repos.work_orders.record_miss(
        MissedCall(call_id=CallId("c2"), order_id=WorkOrderId("o2"), reason=MissReason.ABANDONED, at=T0),
        _order("o2", "137"),
    )
    assert created
    assert repos.work_orders.open_for_number("137") == repos.work_orders.get(WorkOrderId("o2"))


def test_given_an_order_when_updated_with_a_stale_status_then_conflict(repos: Repositories) -> None:
    order, _ = repos.work_orders.record_miss(
        MissedCall(call_id=CallId("c1"), order_id=WorkOrderId("o1"), reason=MissReason.ABANDONED, at=T0),
        _order("o1", "136"),
    )
    claimed = replace(order, status=WorkOrderStatus.ASSIGNED, owner_seat_id=SeatId("1001"))
    repos.work_orders.update(claimed, expected_status=WorkOrderStatus.POOL)
    with pytest.raises(Conflict):
        repos.work_orders.update(
            replace(order, owner_seat_id=SeatId("1002")), expected_status=WorkOrderStatus.POOL
        )
    assert repos.work_orders.search(OrderFilter(owner_seat_id=SeatId("1001"))) == [claimed]
    assert repos.work_orders.search(OrderFilter(statuses=[WorkOrderStatus.POOL])) == []


def test_given_transcript_segments_when_a_partial_is_refined_then_the_final_text_wins(
    repos: Repositories,
) -> None:
    def seg(text: str, final: bool) -> TranscriptLine:
        return TranscriptLine(
            call_id=CallId("c1"), leg="caller", seq=0, text=text, start_s=0.0, end_s=1.5, final=final, at=T0
        )

    assert repos.transcripts.add(seg("我想", False))
    assert repos.transcripts.add(seg("我想咨询劳动争议", True))
    assert not repos.transcripts.add(seg("我想", False))  # a late partial never overwrites a final
    assert [t.text for t in repos.transcripts.for_call(CallId("c1"))] == ["我想咨询劳动争议"]


def test_given_a_survey_answer_when_answered_twice_then_the_first_is_kept(repos: Repositories) -> None:
    a = SurveyAnswer(call_id=CallId("c1"), seat_id=SeatId("1001"), score=Satisfaction.SATISFIED, at=T0)
    assert repos.surveys.record(a)
    assert not repos.surveys.record(
        SurveyAnswer(call_id=CallId("c1"), seat_id=None, score=Satisfaction.DISSATISFIED, at=T0)
    )
    assert repos.surveys.between(T0, T0 + timedelta(seconds=1)) == [a]


def test_given_audit_entries_when_listing_by_actor_then_newest_first(repos: Repositories) -> None:
    for action in ("login", "pause", "logout"):
        repos.audit.append(AuditEntry(at=T0, actor=UserId("u1"), action=action, detail={"x": 1}))
    repos.audit.append(AuditEntry(at=T0, actor=UserId("u2"), action="login"))
    assert [e.action for e in repos.audit.recent(actor=UserId("u1"))] == ["logout", "pause", "login"]


def test_given_offices_when_upserted_twice_then_the_second_version_is_kept(repos: Repositories) -> None:
    office = {
        "id": "o-310106",
        "name": "静安区公共法律服务中心",
        "level": "district",
        "district_code": "310106",
    }
    repos.offices.upsert_many([office])
    repos.offices.upsert_many([{**office, "phone": "021-12348"}])
    (got,) = repos.offices.all()
    assert got["phone"] == "021-12348" and got["name"] == "静安区公共法律服务中心"
    assert repos.offices.count() == 1


def test_given_login_sessions_when_revoked_or_expired_then_they_read_back_so_and_expired_ones_purge(
    repos: Repositories,
) -> None:
    from seats.models import LoginSession

    repos.users.add(User(id=UserId("u1"), username="a", display_name="a", role=Role.ADMIN, password_hash="h"))
    live = LoginSession(
        token_hash="a" * 64,
        user_id=UserId("u1"),
        csrf_token="c",
        created_at=T0,
        expires_at=T0 + timedelta(hours=12),
    )
    old = replace(live, token_hash="b" * 64, expires_at=T0 - timedelta(seconds=1))
    repos.sessions.add(live)
    repos.sessions.add(old)
    repos.sessions.revoke(live.token_hash)
    got = repos.sessions.get(live.token_hash)
    assert got is not None and got.revoked and got.expires_at == live.expires_at
    assert repos.sessions.purge_expired(T0) == 1
    assert repos.sessions.get(old.token_hash) is None


def test_given_a_callers_closed_and_open_orders_when_listing_their_file_then_open_first_then_newest(
    repos: Repositories,
) -> None:
    newer = T0 + timedelta(hours=2)
    closed, _ = repos.work_orders.record_miss(
        MissedCall(call_id=CallId("c1"), order_id=WorkOrderId("o1"), reason=MissReason.ABANDONED, at=newer),
        _order("o1", "135", newer),
    )
    repos.work_orders.update(replace(closed, status=WorkOrderStatus.CLOSED_REACHED, closed_at=newer))
    # An older order that is still open comes first: open before closed, then newest first.
    for oid, number in (("o2", "135"), ("o3", "999")):
        repos.work_orders.record_miss(
            MissedCall(
                call_id=CallId(f"c-{oid}"), order_id=WorkOrderId(oid), reason=MissReason.ABANDONED, at=T0
            ),
            _order(oid, number, T0),
        )
    assert [o.id for o in repos.work_orders.for_number("135")] == ["o2", "o1"]


def test_given_audit_entries_when_listing_by_action_prefix_then_only_those_newest_first(
    repos: Repositories,
) -> None:
    for action in (
        "monitor.start",
        "login",
        "monitor.end",
        "call.force_hangup",
        "monitor_x",
        "call.force_hangupx",
    ):
        repos.audit.append(AuditEntry(at=T0, actor=UserId("u1"), action=action))

    listed = repos.audit.recent(prefixes=("monitor.", "call.force_hangup"))

    # A prefix is literal text: "monitor." does not match "monitor_x" (no LIKE wildcard).
    assert [e.action for e in listed] == [
        "call.force_hangupx",
        "call.force_hangup",
        "monitor.end",
        "monitor.start",
    ]


def test_given_a_supervisor_phone_when_saved_then_read_back_and_another_account_cannot_take_it(
    repos: Repositories,
) -> None:
    from core.errors import InvalidInput
    from store.supervisor_phones import SupervisorPhoneRepository

    for uid in ("u-a", "u-b"):
        repos.users.add(
            User(id=UserId(uid), username=uid, display_name=uid, role=Role.SUPERVISOR, password_hash="h")
        )
    phones = SupervisorPhoneRepository(repos.db)

    phones.save(UserId("u-a"), "8001", "pw-8001-a")
    phones.save(UserId("u-a"), "8002", "pw-8002-a")  # a new phone replaces the old one

    assert phones.endpoint(UserId("u-a")) == "8002" and phones.endpoint(UserId("u-b")) is None
    assert phones.all() == {"8002": "pw-8002-a"}
    with pytest.raises(InvalidInput, match="已分配给其他账号"):
        phones.save(UserId("u-b"), "8002", "pw-8002-b")
    with pytest.raises(InvalidInput, match="话机密码"):
        phones.save(UserId("u-b"), "8003", "pw;x")
