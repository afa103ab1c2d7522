"""The QC queue, forms and rule on each backend: a call queued once with every reason, a form's
versions kept, the rule stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.ids import CallId
from stats.quality import (
    DEFAULT_FORM,
    DEFAULT_PHRASES,
    FormItem,
    MarkKind,
    QcFilter,
    QcItem,
    QcMark,
    QcPhrases,
    QcReason,
    QcRule,
    QcStatus,
)
from store.db import Database
from store.models import ServicePolicyRow
from store.quality import QualityRepository

AT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def item(cid: str, *reasons: QcReason, note: str = "") -> QcItem:
    return QcItem(
        call_id=CallId(cid),
        seat_id="1001",
        team_id="team-310106",
        queue="q-310106-labor",
        district_code="310106",
        call_at=AT - timedelta(hours=1),
        talk_seconds=12.0,
        reasons=reasons,
        flag_note=note,
        created_at=AT,
    )


def test_given_a_call_queued_twice_then_one_entry_holds_every_reason_and_note(db: Database) -> None:
    repo = QualityRepository(db)
    repo.enqueue(item("c-1", QcReason.RANDOM, QcReason.SHORT_TALK))
    repo.enqueue(item("c-1", QcReason.SHORT_TALK, QcReason.FLAGGED, note="投诉"))
    again = repo.enqueue(item("c-1", QcReason.FLAGGED, note="再次投诉"))
    assert again.reasons == (QcReason.RANDOM, QcReason.SHORT_TALK, QcReason.FLAGGED)
    assert again.flag_note == "投诉；再次投诉"
    assert len(repo.search()) == 1
    assert repo.reasons_since(AT - timedelta(days=1)) == {"c-1": again.reasons}
    assert repo.reasons_since(AT) == {}


def test_given_a_scored_item_then_it_reads_back_whole(db: Database) -> None:
    repo = QualityRepository(db)
    queued = repo.enqueue(item("c-1", QcReason.RANDOM))
    scored = replace(
        queued, status=QcStatus.SCORED, form_version=1, scores={"greeting": 8}, total=8, max_total=100,
        comment="好", inspector="u-qc", scored_at=AT,
    )  # fmt: skip
    repo.save(scored)
    assert repo.find(CallId("c-1")) == scored
    assert repo.search(QcFilter(status=QcStatus.SCORED)) == [scored]
    assert repo.search(QcFilter(status=QcStatus.PENDING)) == []


def test_given_form_edits_then_each_is_a_new_version_and_the_old_ones_stay(db: Database) -> None:
    repo = QualityRepository(db)
    assert repo.form() == DEFAULT_FORM == repo.form(1)
    two = repo.add_form([FormItem(key="a", label="甲", max_score=5)], by="u-admin", at=AT)
    three = repo.add_form(
        [FormItem(key="b", label="乙", max_score=7, description="说明")], by="u-admin", at=AT
    )
    assert (two.version, three.version) == (2, 3)
    assert repo.form() == three and repo.form(2) == two and repo.form(1) == DEFAULT_FORM
    assert repo.form(2).items == (FormItem(key="a", label="甲", max_score=5),)


def test_given_a_rule_then_it_is_stored(db: Database) -> None:
    repo = QualityRepository(db)
    assert repo.rule() == QcRule()
    rule = QcRule(sample_percent=10, short_talk_s=15, long_talk_factor=4, median_min_calls=8)
    repo.set_rule(rule, by="u-admin", at=AT)
    repo.set_rule(rule, by="u-admin", at=AT)
    assert repo.rule() == rule


def test_given_transcript_marks_then_they_are_kept_once_with_their_places(db: Database) -> None:
    repo = QualityRepository(db)
    marks = (
        QcMark(kind=MarkKind.FORBIDDEN, at_s=30.5, text="不归我们管"),
        QcMark(kind=MarkKind.NO_CLOSING, at_s=36.0),
    )
    repo.enqueue(replace(item("c-1", QcReason.TRANSCRIPT), marks=marks))
    repo.enqueue(replace(item("c-1", QcReason.TRANSCRIPT), marks=marks[:1]))
    found = repo.find(CallId("c-1"))
    assert found is not None and found.marks == marks


def test_given_the_migrated_database_then_the_default_phrases_are_seeded_and_an_edit_is_stored(
    db: Database,
) -> None:
    repo = QualityRepository(db)
    assert repo.phrases() == DEFAULT_PHRASES  # the row migration 0021 seeded
    with db.session() as s:
        seeded = s.get(ServicePolicyRow, "qc_phrases")
        assert seeded is not None and seeded.value["forbidden"] == list(DEFAULT_PHRASES.forbidden)
    edited = QcPhrases(forbidden=("别问我",), greetings=("早上好",), closings=("祝您顺利", "再见"))
    repo.set_phrases(edited, by="u-admin", at=AT)
    assert QualityRepository(db).phrases() == edited
    with db.session() as s:
        row = s.get(ServicePolicyRow, "qc_phrases")
        assert row is not None and (row.updated_by, row.updated_at) == ("u-admin", AT)
