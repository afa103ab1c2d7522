"""`hotline seats import FILE.csv`: the production set-up of teams, seats and their phones.

`seats.seat_import` reads and checks the CSV (its columns are documented there); here the checked
rows are written: with any error nothing is written, and re-importing the same file changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from seats.seat_import import ImportReport, SeatImportError, check_rows, decode_csv, read_rows
from store.db import Database
from store.repositories import Repositories
from store.seat_phones import SeatPhoneRepository


def import_seats(repos: Repositories, text: str) -> ImportReport:
    """Check every row, then write teams, seats and phones (idempotent)."""
    rows, _ = read_rows(text)
    phones_repo = SeatPhoneRepository(repos.db)
    teams = {t.id: t for t in repos.teams.all()}
    seats = {s.id: s for s in repos.seats.all()}
    checked = check_rows(rows, teams, phones_repo.all())
    interfaces = {s.interface: s.id for s in seats.values()}
    clashes = [
        f"第 {r.line} 行：话机 {r.seat.interface} 已属于坐席 {interfaces[r.seat.interface]}"
        for r in checked
        if interfaces.get(r.seat.interface, r.seat.id) != r.seat.id
    ]
    if clashes:
        raise SeatImportError(clashes)
    report = ImportReport()
    for r in checked:
        if teams.get(r.team.id) != r.team:
            if r.team.id not in teams:
                report.teams_created.append(r.team.id)
            repos.teams.save(r.team)
            teams[r.team.id] = r.team
        old = seats.get(r.seat.id)
        seat = replace(r.seat, expert=old.expert) if r.keep_expert and old is not None else r.seat
        same_phone = not r.password or phones_repo.password(r.seat.id) == r.password
        if old == seat and same_phone:
            report.seats_unchanged.append(r.seat.id)
            continue
        repos.seats.save(seat)
        if r.password:
            phones_repo.save(r.seat.id, r.password)
        (report.seats_updated if old else report.seats_created).append(r.seat.id)
    return report


def import_seats_file(repos: Repositories, path: Path) -> ImportReport:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SeatImportError([f"无法读取文件 {path}：{exc.strerror or exc}"]) from exc
    return import_seats(repos, decode_csv(raw, path))


def import_seats_at(url: str, path: Path) -> ImportReport:
    """`hotline seats import FILE`: the seats, teams and phones of a CSV file into the database at `url`."""
    with Database(url) as db:
        return import_seats_file(Repositories(db), path)
