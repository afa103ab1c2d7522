"""Asterisk's queue log and CDR: parsing (real trace and synthetic lines) and incremental reading."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.ports import RecordCheckpoint
from pbx.record_files import RecordFile
from pbx.records import (
    ParseReport,
    RecordFormatError,
    parse_cdr,
    parse_cdr_line,
    parse_queue_log,
    parse_queue_log_line,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def real(shared_dir: Path) -> Path:
    return shared_dir / "asterisk-traces" / "project-dialplan-22.10.1"


def test_given_the_real_queue_log_when_parsed_then_every_line_is_read_and_the_lines_carry_asterisks_values(
    real: Path,
) -> None:
    chunk = RecordFile("queue_log", real / "queue_log").read_since(None)
    report = ParseReport()
    entries = parse_queue_log(chunk.lines, report=report)
    raw_lines = (real / "queue_log").read_text().splitlines()
    assert report.read == len(raw_lines) and report.skipped == 0
    completed = next(e for e in entries if e.call_id == "1796162752.29" and e.event == "COMPLETECALLER")
    assert completed.at == datetime(2026, 12, 1, 22, 6, 56, tzinfo=UTC)
    assert completed.agent == "seat-1001" and completed.queue == "q-afterhours"
    assert completed.number(1) == 16.0
    abandon = next(e for e in entries if e.call_id == "1796161931.4" and e.event == "ABANDON")
    assert (abandon.number(0), abandon.number(1), abandon.number(2)) == (1.0, 1.0, 12.0)
    members = [e for e in entries if e.event == "ADDMEMBER"]
    assert members and not any(e.about_a_call for e in members)
    # Offsets point at the lines' starts in the file.
    data = (real / "queue_log").read_bytes()
    for e in entries:
        line = data[e.offset :].split(b"\n", 1)[0].decode()
        assert line.split("|")[1] == e.call_id and line.split("|")[4] == e.event


def test_given_the_real_cdr_when_parsed_then_times_are_utc_and_the_uniqueid_column_is_read(
    real: Path,
) -> None:
    chunk = RecordFile("cdr", real / "Master.csv").read_since(None)
    report = ParseReport()
    rows = parse_cdr(chunk.lines, report=report)
    assert report.read == len((real / "Master.csv").read_text().splitlines()) and report.skipped == 0
    row = next(r for r in rows if r.uniqueid == "1796162752.29" and r.lastapp == "Queue")
    assert row.end == datetime(2026, 12, 1, 22, 6, 56, tzinfo=UTC)
    assert row.src == "13800138000" and row.dstchannel.startswith("PJSIP/1001")
    assert row.duration == 63 and row.disposition == "ANSWERED"
    unanswered = next(r for r in rows if r.disposition == "NO ANSWER")
    assert unanswered.dcontext == "callback"


def test_given_the_dateformat_time_when_parsed_then_it_is_read_in_the_servers_zone() -> None:
    line = "2026-12-01 21:50:41.123|1796161796.2|q-afterhours|NONE|ENTERQUEUE||13800138000|1"
    entry = parse_queue_log_line(line, tz=SHANGHAI)
    assert entry.at == datetime(2026, 12, 1, 13, 50, 41, 123000, tzinfo=UTC)
    epoch = parse_queue_log_line("1796161841.250|1796161796.2|q-afterhours|NONE|ENTERQUEUE||13800138000|1")
    assert epoch.at == datetime(2026, 12, 1, 21, 50, 41, 250000, tzinfo=UTC)


@pytest.mark.parametrize(
    "line",
    [
        "garbage",
        "1796161841|1796161796.2|q-afterhours",
        "yesterday|1796161796.2|q-afterhours|NONE|ENTERQUEUE||1|1",
        "1796161841|1796161796.2|q-x|NONE|BAD EVENT!|1",
    ],
)
def test_given_a_bad_queue_log_line_when_parsed_then_a_format_error_names_it(line: str) -> None:
    with pytest.raises(RecordFormatError):
        parse_queue_log_line(line)


@pytest.mark.parametrize(
    "line",
    [
        '"","1","2","ctx"',
        '"","1","2","c","","PJSIP/1","","Queue","q","not a time","","2026-12-01 21:50:56",1,1,"ANSWERED","DOCUMENTATION"',
        '"","1","2","c","","PJSIP/1","","Queue","q","2026-12-01 21:49:56","","2026-12-01 21:50:56",x,1,"ANSWERED","D"',
        '"","1","2","c","","PJSIP/1","","Queue","q,"2026-12-01 21:49:56',
    ],
)
def test_given_a_bad_cdr_row_when_parsed_then_a_format_error_names_it(line: str) -> None:
    with pytest.raises(RecordFormatError):
        parse_cdr_line(line)


def test_given_cdr_rows_without_uniqueid_or_in_local_time_when_parsed_then_both_are_read() -> None:
    plain = '"","139","s","hotline-queue","","PJSIP/139-1","","Queue","q","2026-12-01 21:49:56","","2026-12-01 21:50:56",60,0,"NO ANSWER","DOCUMENTATION"'
    row = parse_cdr_line(plain, tz=SHANGHAI)
    assert row.uniqueid == "" and row.answer is None
    assert row.start == datetime(2026, 12, 1, 13, 49, 56, tzinfo=UTC)


def test_given_garbage_between_good_lines_when_parsed_then_it_is_counted_and_skipped() -> None:
    lines = [
        (0, "1796161976|1796161931.4|q-afterhours|NONE|ENTERQUEUE||13900139000|1"),
        (60, "\x00\x00\x00 corrupted"),
        (80, ""),
        (81, "1796161988|1796161931.4|q-afterhours|NONE|ABANDON|1|1|12"),
    ]
    report = ParseReport()
    entries = parse_queue_log(lines, report=report)
    assert [e.event for e in entries] == ["ENTERQUEUE", "ABANDON"]
    assert report.read == 2 and report.skipped == 1 and report.examples == ["\x00\x00\x00 corrupted"]


# --- reading the files -----------------------------------------------------------------------

L1 = "1796161976|1796161931.4|q-afterhours|NONE|ENTERQUEUE||13900139000|1\n"
L2 = "1796161988|1796161931.4|q-afterhours|NONE|ABANDON|1|1|12\n"
L3 = "1796162235|1796162190.7|q-afterhours|NONE|ENTERQUEUE||13800138000|1\n"


def test_given_a_partial_last_line_when_read_then_it_waits_for_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text(L1 + L2[:20])
    reader = RecordFile("queue_log", path)
    first = reader.read_since(None)
    assert [t for _, t in first.lines] == [L1.rstrip("\n")]
    assert first.end.offset == len(L1)
    with path.open("a") as f:
        f.write(L2[20:])
    second = reader.read_since(first.end)
    assert [(o, t) for o, t in second.lines] == [(len(L1), L2.rstrip("\n"))]
    assert second.end.offset == len(L1) + len(L2) and not second.restarted


def test_given_a_rotated_file_when_read_then_the_rest_of_the_old_file_comes_first(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text(L1)
    reader = RecordFile("queue_log", path)
    first = reader.read_since(None)
    with path.open("a") as f:
        f.write(L2)
    os.rename(path, tmp_path / "queue_log.1")  # logrotate
    path.write_text(L3)
    second = reader.read_since(first.end)
    assert [t for _, t in second.lines] == [L2.rstrip("\n"), L3.rstrip("\n")]
    assert second.restarted and second.end.offset == len(L3)
    assert second.end.inode == path.stat().st_ino


def test_given_a_truncated_file_when_read_then_it_is_read_again_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text(L1 + L2)
    reader = RecordFile("queue_log", path)
    first = reader.read_since(None)
    with path.open("r+") as f:  # copytruncate, then Asterisk writes on
        f.truncate(0)
        f.write(L3)
    second = reader.read_since(first.end)
    assert second.restarted and [t for _, t in second.lines] == [L3.rstrip("\n")]
    # Rewritten in place past the old size: the checkpoint no longer falls on a line start.
    path.write_text("x" * 5 + L1 + L2 + L3)
    third = reader.read_since(RecordCheckpoint("queue_log", path.stat().st_ino, len(L1)))
    assert third.restarted and len(third.lines) == 3


def test_given_no_file_when_read_then_nothing_is_read_and_the_checkpoint_is_kept(tmp_path: Path) -> None:
    checkpoint = RecordCheckpoint("cdr", 42, 100)
    chunk = RecordFile("cdr", tmp_path / "Master.csv").read_since(checkpoint)
    assert chunk.missing and chunk.lines == [] and chunk.end == checkpoint


def test_given_asterisk_has_not_written_its_first_record_when_read_then_not_missing(tmp_path: Path) -> None:
    # cdr_csv creates Master.csv with the first call: a fresh Asterisk is healthy, not misconfigured.
    fresh = RecordFile("cdr", tmp_path / "Master.csv").read_since(None)
    assert not fresh.missing and fresh.lines == []
    # A folder that does not exist is a wrong path.
    wrong = RecordFile("cdr", tmp_path / "no-such-dir" / "Master.csv").read_since(None)
    assert wrong.missing
