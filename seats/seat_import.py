"""The seat import's rules (`hotline seats import FILE.csv`): reading and checking the CSV, pure;
`store.seat_import` writes the checked rows.

One CSV (UTF-8, with or without BOM; a header row) creates or updates, per row, the team, the
seat and the seat's SIP phone. Columns (Chinese or English headers):

| column | required | meaning |
|---|---|---|
| 工号 / seat_id | yes | the seat's number, also its SIP endpoint (`PJSIP/<工号>`): digits and a-z |
| 姓名 / name | yes | the seat's name as the console shows it |
| 团队 / team | yes | the team's name; created when new |
| 团队编号 / team_id | no | the team's id; default `team-<区划代码>` for a district team |
| 区 / district | no | district code (310106) or name (静安区): the team is a district team |
| 类型 / kind | no | 律师 / 公证员 / 调解员 / 法律援助 (or lawyer, notary, mediator, legal_aid); default 律师 |
| 技能 / skills | no | legal categories, code or name, separated by 、 , ， ; or spaces |
| 话机密码 / phone_password | new seats | the SIP phone's password (8 to 64 characters) |
| 启用 / active | no | 是/否 (yes/no, 1/0); default 是 |
| 专家 / expert | no | 是/否: an expert seat (专家坐席), of any kind; blank or no column keeps the stored flag (a new seat: 否) |

Every row is checked first; with any error nothing is written and every error is reported with
its row number (the header is row 1). Re-importing the same file changes nothing; an edited file
updates the seats it names (a blank phone password keeps the stored one).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.access import district_team
from core.errors import InvalidInput
from core.ids import SeatId, TeamId
from routing.districts import DISTRICTS
from routing.queues import LegalCategory
from seats.models import Seat, SeatKind, Team, TeamKind

COLUMNS: dict[str, tuple[str, ...]] = {
    "seat_id": ("工号", "坐席编号", "seat_id"),
    "name": ("姓名", "name"),
    "team": ("团队", "team"),
    "team_id": ("团队编号", "team_id"),
    "district": ("区", "区划", "district"),
    "kind": ("类型", "kind"),
    "skills": ("技能", "skills"),
    "phone_password": ("话机密码", "phone_password"),
    "active": ("启用", "active"),
    "expert": ("专家", "专家坐席", "expert"),
}
REQUIRED = ("seat_id", "name", "team")
KINDS = {
    "律师": SeatKind.LAWYER,
    "公证员": SeatKind.NOTARY,
    "调解员": SeatKind.MEDIATOR,
    "法律援助": SeatKind.LEGAL_AID,
    **{k.value: k for k in SeatKind},
}
YES = {"是", "yes", "y", "1", "true", "启用", ""}
NO = {"否", "no", "n", "0", "false", "停用"}
EXPERT = {"是", "yes", "y", "1", "true", "专家"}
SEAT_ID = re.compile(r"^[0-9a-z]{1,32}$")
"""What a PJSIP endpoint of the rendered pjsip.conf and the `[hotline-seat]` pattern both take."""
_FORBIDDEN = re.compile(r"[\[\];\r\n]")


class SeatImportError(InvalidInput):
    """The file has errors; `errors` lists them as `第 N 行：原因`."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("坐席导入失败，未写入任何数据：\n" + "\n".join(errors), count=len(errors))
        self.errors = errors


@dataclass
class ImportReport:
    teams_created: list[str] = field(default_factory=list)
    seats_created: list[str] = field(default_factory=list)
    seats_updated: list[str] = field(default_factory=list)
    seats_unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"坐席导入完成：新建团队 {len(self.teams_created)} 个，新建坐席 {len(self.seats_created)} 个，"
            f"更新 {len(self.seats_updated)} 个，未变 {len(self.seats_unchanged)} 个"
        )


@dataclass(frozen=True)
class CheckedRow:
    line: int
    seat: Seat
    team: Team
    password: str
    keep_expert: bool = False  # the 专家 cell was blank: the stored seat's flag stays as it is


def read_rows(text: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The CSV's rows keyed by our field names, and the header mapping used."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SeatImportError(["文件为空：缺少表头行"]) from None
    mapping: dict[str, str] = {}
    for key, names in COLUMNS.items():
        for h in header:
            if h in names or h.lower() in names:
                mapping[key] = h
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in mapping]
    if missing:
        raise SeatImportError([f"第 1 行：表头缺少列：{'、'.join(missing)}（表头为：{'，'.join(header)}）"])
    rows: list[dict[str, str]] = []
    for values in reader:
        if not any(v.strip() for v in values):
            rows.append({})  # blank line: skipped, but keeps the row numbers right
            continue
        record = dict(zip(header, (v.strip() for v in values), strict=False))
        rows.append({key: record.get(col, "") for key, col in mapping.items()})
    return rows, mapping


def _team_id(name: str, district: str | None, given: str, known: dict[TeamId, Team]) -> TeamId:
    if given:
        return TeamId(given)
    for team in known.values():
        if team.name == name:
            return team.id
    if district:
        return district_team(district)
    return TeamId("team-" + hashlib.sha1(name.encode()).hexdigest()[:8])


def _district(value: str) -> str | None:
    if not value:
        return None
    if value in DISTRICTS:
        return value
    for code, name in DISTRICTS.items():
        if value in (name, name.removesuffix("区"), name.removesuffix("新区")):
            return code
    raise ValueError(f"未知的区：{value}（填写区划代码如 310106 或区名如 静安区）")


def _skills(value: str) -> tuple[str, ...]:
    out = []
    for part in re.split(r"[、,，;；\s]+", value):
        if part:
            try:
                out.append(LegalCategory.parse(part).value)
            except InvalidInput:
                raise ValueError(f"未知的技能：{part}") from None
    return tuple(dict.fromkeys(out))


def check_rows(
    rows: Iterable[dict[str, str]], teams: dict[TeamId, Team], phones: dict[SeatId, str]
) -> list[CheckedRow]:
    errors: list[str] = []
    out: list[CheckedRow] = []
    seen: dict[str, int] = {}
    team_of_id: dict[TeamId, Team] = dict(teams)
    for index, raw in enumerate(rows, start=2):
        if not raw:
            continue
        problems: list[str] = []
        sid = raw.get("seat_id", "")
        name = raw.get("name", "")
        team_name = raw.get("team", "")
        password = raw.get("phone_password", "")
        if not sid:
            problems.append("工号不能为空")
        elif not SEAT_ID.match(sid):
            problems.append(f"工号“{sid}”只能由数字和小写字母组成（最长 32 位），它也是话机的 SIP 账号")
        elif sid in seen:
            problems.append(f"工号 {sid} 与第 {seen[sid]} 行重复")
        if not name:
            problems.append("姓名不能为空")
        if not team_name:
            problems.append("团队不能为空")
        district: str | None = None
        try:
            district = _district(raw.get("district", ""))
        except ValueError as exc:
            problems.append(str(exc))
        kind_text = raw.get("kind", "") or "律师"
        kind = KINDS.get(kind_text) or KINDS.get(kind_text.lower())
        if kind is None:
            problems.append(f"未知的类型：{kind_text}（可填 律师、公证员、调解员、法律援助）")
        skills: tuple[str, ...] = ()
        try:
            skills = _skills(raw.get("skills", ""))
        except ValueError as exc:
            problems.append(str(exc))
        active_text = raw.get("active", "").lower()
        if active_text not in YES | NO:
            problems.append(f"启用列只能填 是 或 否：{raw.get('active')}")
        expert_text = raw.get("expert", "").lower()
        if expert_text and expert_text not in EXPERT | NO:
            problems.append(f"专家列只能填 是 或 否：{raw.get('expert')}")
        if password:
            if not 8 <= len(password) <= 64:
                problems.append("话机密码长度须为 8 到 64 位")
            elif _FORBIDDEN.search(password) or password != password.strip():
                problems.append("话机密码不能含有 [ ] ; 换行 或首尾空格")
        elif sid and SeatId(sid) not in phones:
            problems.append("新坐席必须填写话机密码")
        for label, text in (("姓名", name), ("团队", team_name), ("团队编号", raw.get("team_id", ""))):
            if _FORBIDDEN.search(text):
                problems.append(f"{label}不能含有 [ ] ; 或换行")
        if problems:
            errors.append(f"第 {index} 行：" + "；".join(problems))
            continue
        assert kind is not None
        seen[sid] = index
        tid = _team_id(team_name, district, raw.get("team_id", ""), team_of_id)
        team = Team(
            id=tid,
            name=team_name,
            kind=TeamKind.DISTRICT if district else TeamKind.ASSOCIATION,
            district_code=district,
        )
        earlier = team_of_id.get(tid)
        if (
            earlier is not None
            and (earlier.name, earlier.district_code) != (team.name, team.district_code)
            and any(r.team.id == tid for r in out)
        ):
            errors.append(
                f"第 {index} 行：团队编号 {tid} 已用于“{earlier.name}”"
                f"（区 {earlier.district_code or '无'}），同一团队的名称和区须一致"
            )
            continue
        team_of_id[tid] = team
        seat = Seat(
            id=SeatId(sid),
            name=name,
            kind=kind,
            team_id=tid,
            interface=f"PJSIP/{sid}",
            skills=skills,
            active=active_text not in NO,
            expert=expert_text in EXPERT,
        )
        out.append(CheckedRow(index, seat, team, password, keep_expert=not expert_text))
    if errors:
        raise SeatImportError(errors)
    return out


def decode_csv(raw: bytes, name: object) -> str:
    """The file's text: UTF-8, else GBK (a CSV saved by Excel on a Chinese Windows)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise SeatImportError([f"文件 {name} 不是 UTF-8 或 GBK 编码的文本"]) from None
