"""Production set-up from the command line: seats import, user add, asterisk-conf render.

Outside demo mode nothing else creates teams or seats; these commands are how a deployment gets
its seats, their phones and the Asterisk configuration they need.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from app.cli import main
from asterisk_conf.render import FILES, MODULES
from core import dialplan
from core.access import Role
from core.errors import InvalidInput
from core.ids import SeatId, TeamId, UserId
from seats.models import User
from seats.seat_import import SeatImportError
from store.db import Database
from store.migrate import upgrade
from store.repositories import Repositories
from store.seat_import import import_seats
from store.seat_phones import SeatPhoneRepository
from store.supervisor_phones import SupervisorPhoneRepository

CSV = """工号,姓名,团队,区,类型,技能,话机密码
1001,张律师,静安区坐席团队,310106,律师,劳动争议、婚姻家庭,pw1001seat
1002,李律师,静安区坐席团队,静安区,律师,labor,pw1002seat
2001,赵公证员,市公证协会,,公证员,公证,pw2001seat
"""


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    upgrade(url)
    monkeypatch.setenv("HOTLINE_DATABASE__URL", url)
    monkeypatch.delenv("HOTLINE_DEMO", raising=False)
    return url


@pytest.fixture
def repos(db_url: str) -> Repositories:
    return Repositories(Database(db_url))


def _write(tmp_path: Path, text: str, name: str = "seats.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- seats import ----------------------------------------------------------------------------


def test_given_a_seats_csv_when_imported_then_teams_seats_and_phones_exist(repos: Repositories) -> None:
    report = import_seats(repos, CSV)

    assert sorted(report.seats_created) == ["1001", "1002", "2001"]
    jingan = repos.teams.get(TeamId("team-310106"))
    assert (jingan.name, jingan.district_code) == ("静安区坐席团队", "310106")
    seat = repos.seats.get(SeatId("1001"))
    assert (seat.name, seat.team_id, seat.interface) == ("张律师", "team-310106", "PJSIP/1001")
    assert seat.skills == ("labor", "family")
    notary = repos.seats.get(SeatId("2001"))
    assert notary.kind.value == "notary" and repos.teams.get(notary.team_id).district_code is None
    assert SeatPhoneRepository(repos.db).password(SeatId("1002")) == "pw1002seat"


def test_given_the_same_csv_when_imported_again_then_nothing_changes(repos: Repositories) -> None:
    import_seats(repos, CSV)
    before = (repos.teams.all(), repos.seats.all())

    again = import_seats(repos, CSV)

    assert again.seats_created == again.seats_updated == again.teams_created == []
    assert sorted(again.seats_unchanged) == ["1001", "1002", "2001"]
    assert (repos.teams.all(), repos.seats.all()) == before


def test_given_an_edited_csv_when_imported_then_the_seat_is_updated_and_a_blank_password_kept(
    repos: Repositories,
) -> None:
    import_seats(repos, CSV)
    edited = CSV.replace(
        "1002,李律师,静安区坐席团队,静安区,律师,labor,pw1002seat",
        "1002,李大律师,静安区坐席团队,静安区,律师,labor,",
    )

    report = import_seats(repos, edited)

    assert report.seats_updated == ["1002"]
    assert repos.seats.get(SeatId("1002")).name == "李大律师"
    assert SeatPhoneRepository(repos.db).password(SeatId("1002")) == "pw1002seat"


def test_given_an_expert_column_when_imported_then_expert_seats_are_flagged_and_a_blank_cell_keeps_the_flag(
    repos: Repositories,
) -> None:
    flagged = CSV.replace("话机密码\n", "话机密码,专家\n").replace("pw2001seat", "pw2001seat,是")
    import_seats(repos, flagged)
    assert [(s.id, s.expert) for s in repos.seats.all()] == [("1001", False), ("1002", False), ("2001", True)]

    # A file without the column (or with a blank cell) keeps who is an expert; 否 takes it away.
    assert sorted(import_seats(repos, CSV).seats_unchanged) == ["1001", "1002", "2001"]
    assert repos.seats.get(SeatId("2001")).expert
    report = import_seats(repos, flagged.replace("pw2001seat,是", "pw2001seat,否"))
    assert report.seats_updated == ["2001"] and not repos.seats.get(SeatId("2001")).expert
    with pytest.raises(SeatImportError) as caught:
        import_seats(repos, flagged.replace("pw2001seat,是", "pw2001seat,也许"))
    assert caught.value.errors == ["第 4 行：专家列只能填 是 或 否：也许"]


def test_given_bad_rows_when_imported_then_every_error_has_its_row_and_nothing_is_written(
    repos: Repositories,
) -> None:
    bad = (
        "工号,姓名,团队,区,类型,技能,话机密码\n"
        "1001,张律师,静安区坐席团队,310106,律师,劳动争议,pw1001seat\n"  # row 2: fine
        ",无工号,静安区坐席团队,,,,pw00000000\n"  # row 3
        "1003,王律师,静安区坐席团队,火星区,律师,炒股,short\n"  # row 4
        "1001,重复,静安区坐席团队,,,,pw1001seat\n"  # row 5
        "A-1,大写,团队,,,,pw12345678\n"  # row 6
        "1006,新人,团队,,厨师,,\n"  # row 7
    )

    with pytest.raises(SeatImportError) as caught:
        import_seats(repos, bad)

    errors = caught.value.errors
    assert [int(re.match(r"第 (\d+) 行", e).group(1)) for e in errors] == [3, 4, 5, 6, 7]  # type: ignore[union-attr]
    assert "工号不能为空" in errors[0]
    assert "未知的区：火星区" in errors[1] and "未知的技能：炒股" in errors[1] and "8 到 64" in errors[1]
    assert "与第 2 行重复" in errors[2]
    assert "数字和小写字母" in errors[3]
    assert "未知的类型：厨师" in errors[4] and "新坐席必须填写话机密码" in errors[4]
    assert repos.seats.all() == [] and repos.teams.all() == []


def test_given_a_csv_without_a_required_column_when_imported_then_the_header_is_named(
    repos: Repositories,
) -> None:
    with pytest.raises(SeatImportError, match="表头缺少列：团队"):
        import_seats(repos, "工号,姓名\n1001,张律师\n")


def test_given_a_gbk_file_when_imported_by_the_cli_then_it_is_read(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, CSV, encoding="gbk")

    assert main(["seats", "import", str(path)]) == 0
    assert "新建坐席 3 个" in capsys.readouterr().out


def test_given_a_bad_file_when_imported_by_the_cli_then_rc_2_and_the_rows_are_listed(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "工号,姓名,团队\n1001,,静安\n")

    assert main(["seats", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "未写入任何数据" in err and "第 2 行：姓名不能为空" in err
    assert main(["seats", "import", str(tmp_path / "missing.csv")]) == 2
    assert "无法读取文件" in capsys.readouterr().err


# --- user add ---------------------------------------------------------------------------------


def test_given_a_missing_seat_when_adding_a_seat_user_then_the_seat_is_named_not_the_username(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-pw\n"))

    rc = main(["user", "add", "zhang", "--role", "seat", "--name", "张律师", "--seat", "1001"])

    assert rc == 2
    err = capsys.readouterr().err
    assert "不存在该坐席：1001" in err and "用户名已存在" not in err


def test_given_an_imported_seat_when_adding_its_user_twice_then_the_second_says_the_username_exists(
    db_url: str, repos: Repositories, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import_seats(repos, CSV)
    args = ["user", "add", "zhang", "--role", "seat", "--name", "张律师", "--seat", "1001"]
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-pw\n"))
    assert main(args) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-pw\n"))

    assert main(args) == 2
    assert "用户名已存在：zhang" in capsys.readouterr().err


# --- asterisk-conf render -----------------------------------------------------------------------


@pytest.fixture
def asterisk_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_AMI__SECRET", "prod-ami-secret")
    monkeypatch.setenv("HOTLINE_AGI__HOST", "0.0.0.0")
    monkeypatch.setenv("HOTLINE_ASTERISK__TRUNK__HOST", "10.20.0.5")
    monkeypatch.setenv("HOTLINE_ASTERISK__TRUNK__USERNAME", "021123")
    monkeypatch.setenv("HOTLINE_ASTERISK__TRUNK__PASSWORD", "carrier-pw")
    monkeypatch.setenv("HOTLINE_ASTERISK__TRUNK__REGISTRATION", "true")


def test_given_imported_seats_when_rendering_then_every_file_asterisk_needs_is_written(
    asterisk_env: None, repos: Repositories, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_seats(repos, CSV)
    out = tmp_path / "etc-asterisk"

    assert main(["asterisk-conf", "render", "--out", str(out)]) == 0

    assert "坐席 3 个" in capsys.readouterr().out
    conf = {name: (out / name).read_text(encoding="utf-8") for name in FILES}
    for seat, password in (("1001", "pw1001seat"), ("2001", "pw2001seat")):
        assert f"[{seat}](seat-template)" in conf["pjsip.conf"]
        assert f"password = {password}" in conf["pjsip.conf"]
    assert "secret = prod-ami-secret" in conf["manager.conf"]
    assert "agi://127.0.0.1:4573/ivr" in conf["extensions.conf"]  # not the wildcard bind address
    assert "type = registration" in conf["pjsip.conf"] and "match = 10.20.0.5" in conf["pjsip.conf"]
    assert f"[{dialplan.TRUNK_ENDPOINT}]" in conf["pjsip.conf"]
    loaded = re.findall(r"^load => (\S+)", conf["modules.conf"], re.M)
    assert loaded == list(MODULES) and "autoload = no" in conf["modules.conf"]
    assert f"astetcdir => {out.resolve()}" in conf["asterisk.conf"]
    assert (
        "queue_log_to_file = yes" in conf["logger.conf"] and "dateformat = %F %T.%3q" in conf["logger.conf"]
    )
    csv_section = conf["cdr.conf"].split("[csv]", 1)[1]
    assert "usegmtime = yes" in csv_section and "loguniqueid = yes" in csv_section
    assert "cdr_csv.so" in MODULES
    assert "rtpstart = 10000" in conf["rtp.conf"]
    assert "[default]" in conf["musiconhold.conf"] and "res_musiconhold.so" in MODULES
    assert "country = cn" in conf["indications.conf"] and "ring = 450/1000,0/4000" in conf["indications.conf"]


def test_given_a_supervisor_with_a_phone_when_rendering_then_the_phone_is_an_endpoint_like_a_seats(
    asterisk_env: None, repos: Repositories, tmp_path: Path
) -> None:
    import_seats(repos, CSV)
    repos.users.add(
        User(
            id=UserId("u-boss"), username="boss", display_name="班长", role=Role.SUPERVISOR, password_hash="x"
        )
    )
    phones = SupervisorPhoneRepository(repos.db)
    phones.save(UserId("u-boss"), "8001", "pw8001desk")
    out = tmp_path / "etc-asterisk"

    assert main(["asterisk-conf", "render", "--out", str(out)]) == 0

    pjsip = (out / "pjsip.conf").read_text(encoding="utf-8")
    assert "[8001](seat-template)" in pjsip and "password = pw8001desk" in pjsip
    assert phones.endpoint(UserId("u-boss")) == "8001"
    # A seat's endpoint, a malformed one or an unknown account is refused in Chinese.
    for user, endpoint, message in (
        ("u-boss", "1001", "已是坐席话机"),
        ("u-boss", "80 01", "话机号只能由"),
        ("u-nobody", "8002", "账号不存在"),
    ):
        with pytest.raises(InvalidInput, match=message):
            phones.save(UserId(user), endpoint, "pw-desk-1")


def test_given_no_ami_secret_when_rendering_then_it_is_asked_for_and_nothing_written(
    db_url: str,
    repos: Repositories,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("HOTLINE_AMI__SECRET", raising=False)
    import_seats(repos, CSV)

    assert main(["asterisk-conf", "render", "--out", str(tmp_path / "out")]) == 2
    assert "HOTLINE_AMI__SECRET" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_given_no_seats_when_rendering_then_the_import_command_is_named(
    asterisk_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["asterisk-conf", "render", "--out", str(tmp_path / "out")]) == 2
    assert "没有启用的坐席" in capsys.readouterr().err


def test_given_a_file_as_out_dir_when_rendering_then_a_clear_error(
    asterisk_env: None, repos: Repositories, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_seats(repos, CSV)
    target = _write(tmp_path, "x", name="not-a-dir")

    assert main(["asterisk-conf", "render", "--out", str(target)]) == 2
    assert "是一个文件，不是目录" in capsys.readouterr().err


def test_given_a_wrong_trunk_setting_when_rendering_then_a_chinese_error(
    asterisk_env: None,
    repos: Repositories,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import_seats(repos, CSV)
    monkeypatch.setenv("HOTLINE_ASTERISK__TRUNK__PASSWORD", "")

    assert main(["asterisk-conf", "render", "--out", str(tmp_path / "out")]) == 2
    assert "没有密码" in capsys.readouterr().err


def test_given_the_readme_when_read_then_it_names_exactly_the_modules_rendered() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("**需要的 Asterisk 模块**", 1)[1].split("**生产部署步骤**", 1)[0]
    named = re.findall(r"`((?:app|res|func|pbx|chan|codec|format|bridge|cdr)_\w+)`", block)

    assert sorted(named) == sorted(m.removesuffix(".so") for m in MODULES)


def test_given_a_missing_argument_when_parsing_then_the_error_is_chinese(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["asterisk-conf", "render"])

    err = capsys.readouterr().err
    assert done.value.code == 2
    assert "缺少必需的参数" in err and "--out" in err and "required" not in err
