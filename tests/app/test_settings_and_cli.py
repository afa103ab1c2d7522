from __future__ import annotations

import socket
from pathlib import Path

import pytest

from app import cli
from app.cli import main
from app.settings import DEMO_AMI_SECRET, Settings, demo_settings, load_database_settings, load_settings
from core.errors import ConfigurationError
from core.listen import taken
from pbx.sim.demo import DEMO_CALLS_PER_HOUR, OVERLOAD_CALLS_PER_HOUR


def test_given_no_secrets_when_loading_production_settings_then_default_secrets_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HOTLINE_AMI__SECRET", raising=False)
    monkeypatch.delenv("HOTLINE_WEB__SESSION_SECRET", raising=False)
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert "HOTLINE_AMI__SECRET" in err.value.message and "HOTLINE_WEB__SESSION_SECRET" in err.value.message
    # The validator's Chinese words alone, without pydantic's "Value error, " before them.
    assert err.value.message.startswith("配置无效：非演示模式下不允许使用默认密钥"), err.value.message


def test_given_own_secrets_in_environment_when_loading_then_sections_are_filled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOTLINE_AMI__SECRET", "s3cret")
    monkeypatch.setenv("HOTLINE_WEB__SESSION_SECRET", "x" * 40)
    monkeypatch.setenv("HOTLINE_AMI__PORT", "6038")
    monkeypatch.setenv("HOTLINE_DATABASE__URL", "postgresql://hotline@db/hotline")
    s = load_settings()
    assert s.ami.port == 6038 and s.ami.secret.get_secret_value() == "s3cret"
    assert s.database.url == "postgresql://hotline@db/hotline"
    assert "s3cret" not in repr(s)  # secrets never printed


def test_given_demo_mode_when_loading_then_defaults_are_accepted_and_simulator_on() -> None:
    s = demo_settings()
    assert s.demo and s.sim.enabled and s.database.auto_migrate
    assert s.ami.secret.get_secret_value() == DEMO_AMI_SECRET


def test_given_an_invalid_port_when_loading_then_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DEMO", "true")
    monkeypatch.setenv("HOTLINE_AMI__PORT", "not-a-port")
    with pytest.raises(ConfigurationError):
        load_settings()


def test_given_only_a_database_url_when_loading_database_settings_then_no_secret_is_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE__URL", "sqlite:///x.db")
    assert load_database_settings().url == "sqlite:///x.db"


def test_given_help_flag_when_running_cli_then_help_is_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "用法：" in out and "子命令" in out and "启动演示" in out and "数据库" in out
    assert "show this help" not in out


def test_given_db_upgrade_when_run_then_database_is_at_head(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from store.db import create_db_engine
    from store.migrate import is_up_to_date

    url = f"sqlite:///{Path(str(tmp_path)) / 'cli.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE__URL", url)
    assert main(["db", "upgrade"]) == 0
    assert "数据库已升级" in capsys.readouterr().out
    engine = create_db_engine(url)
    assert is_up_to_date(engine)
    engine.dispose()


def test_given_serve_without_secrets_when_run_then_exit_code_2_with_a_chinese_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HOTLINE_AMI__SECRET", raising=False)
    monkeypatch.delenv("HOTLINE_DEMO", raising=False)
    assert main(["serve"]) == 2
    assert "默认密钥" in capsys.readouterr().err


def test_given_a_migrated_database_when_adding_a_user_from_the_cli_then_they_can_log_in(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    from pathlib import Path

    from console_web.auth import Passwords
    from store.db import Database
    from store.repositories import Repositories

    url = f"sqlite:///{Path(str(tmp_path)) / 'users.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE__URL", url)
    assert main(["db", "upgrade"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert (
        main(["user", "add", "wang", "--role", "supervisor", "--name", "王班长", "--district", "310106"]) == 0
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert main(["user", "add", "wang", "--role", "admin", "--name", "x"]) == 2  # duplicate name
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "add", "li", "--role", "admin", "--name", "x"]) == 2
    assert "用户名已存在" in capsys.readouterr().err
    db = Database(url)
    user = Repositories(db).users.by_username("wang")
    db.dispose()
    assert user is not None and user.scope_district_code == "310106"
    assert Passwords().verify(user.password_hash, "correct horse battery")


def test_given_espeak_when_building_prompts_from_the_cli_then_8khz_wavs_are_written(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil
    import wave
    from pathlib import Path

    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("espeak-ng / sox not installed (make test installs them)")
    out = Path(str(tmp_path)) / "prompts"
    assert main(["prompts", "build", "--out", str(out)]) == 0
    assert "提示音已生成" in capsys.readouterr().out
    with wave.open(str(out / "greeting.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() > 8000  # more than a second of speech


def test_given_serve_then_uvicorn_trusts_no_proxy_headers_caps_websocket_messages_and_does_not_deflate() -> (
    None
):
    from console_web.web import uvicorn_options

    opts = uvicorn_options(host="127.0.0.1", port=8000, log_level=demo_settings().log_level)
    # X-Forwarded-For is judged by console_web.security.TrustedProxies alone (default: no proxy).
    assert opts["proxy_headers"] is False
    assert isinstance(opts["ws_max_size"], int) and opts["ws_max_size"] <= 1024 * 1024
    assert opts["ws_per_message_deflate"] is False  # small JSON frames: deflate costs more than it saves


def _every_command() -> list[list[str]]:
    """Every command and sub-command of `hotline`, as the parser declares them."""
    import argparse

    from app.cli import _parser

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> list[list[str]]:
        found = [path]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found += walk(sub, [*path, name])
        return found

    return walk(_parser(), [])


@pytest.mark.parametrize("command", _every_command(), ids=lambda c: " ".join(c) or "hotline")
def test_given_any_command_when_asking_help_then_usage_is_prefixed_once(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])

    out = capsys.readouterr().out
    assert done.value.code == 0
    assert out.startswith(" ".join(["用法：hotline", *command]) + " ")
    assert out.count("用法：") == 1
    assert "usage:" not in out and "positional arguments" not in out and "options:" not in out


def test_every_command_is_walked() -> None:
    commands = {" ".join(c) for c in _every_command()}
    assert {"serve", "demo", "db upgrade", "user add", "seats import", "asterisk-conf reload"} <= commands


def test_given_an_unmigrated_database_when_serving_then_only_the_hint_is_printed_and_no_file_made(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    db_file = Path(str(tmp_path)) / "never-migrated.db"
    monkeypatch.setenv("HOTLINE_DATABASE__URL", f"sqlite:///{db_file}")
    monkeypatch.setenv("HOTLINE_AMI__SECRET", "a-production-ami-secret")
    monkeypatch.setenv("HOTLINE_WEB__SESSION_SECRET", "a-production-session-secret-of-some-length")

    code = main(["serve", "--port", "1"])

    err = capsys.readouterr().err
    assert code != 0
    assert "hotline db upgrade" in err
    assert "Traceback" not in err
    assert not db_file.exists()


def test_given_a_database_at_an_old_schema_when_serving_then_the_hint_is_printed(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from store.migrate import upgrade

    url = f"sqlite:///{Path(str(tmp_path)) / 'old.db'}"
    upgrade(url, "base")
    monkeypatch.setenv("HOTLINE_DATABASE__URL", url)
    monkeypatch.setenv("HOTLINE_AMI__SECRET", "a-production-ami-secret")
    monkeypatch.setenv("HOTLINE_WEB__SESSION_SECRET", "a-production-session-secret-of-some-length")

    assert main(["serve", "--port", "1"]) == 2
    assert "请先运行：hotline db upgrade" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "after_hours", "rate"),
    [
        (["demo"], False, DEMO_CALLS_PER_HOUR),
        (["demo", "--after-hours"], True, DEMO_CALLS_PER_HOUR),
        (["demo", "--after-hours", "--calls-per-hour", "0"], True, 0.0),
        (["demo", "--overload"], False, OVERLOAD_CALLS_PER_HOUR),
    ],
)
def test_given_demo_options_when_starting_then_the_simulator_settings_follow_them(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], after_hours: bool, rate: float
) -> None:
    started: list[Settings] = []
    monkeypatch.setattr(cli, "_run_web", lambda settings, _host, _port: started.append(settings))
    assert main([*argv, "--port", "8123"]) == 0
    [settings] = started
    assert settings.demo and settings.sim.enabled and settings.web.port == 8123
    assert (settings.sim.after_hours, settings.sim.calls_per_hour) == (after_hours, rate)


def test_a_second_demo_on_a_taken_port_says_so_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `hotline demo` while another one runs: the first holds the web port (and FastAGI's, AMI's).
    monkeypatch.chdir(tmp_path)
    with socket.socket() as first:
        first.bind(("127.0.0.1", 0))
        first.listen()
        port = first.getsockname()[1]
        assert main(["demo", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"端口已被占用：网页控制台 127.0.0.1:{port}" in err and "Traceback" not in err
    assert not (tmp_path / "hotline-demo.db").exists()  # nothing was started


def test_taken_lists_only_the_addresses_someone_listens_on() -> None:
    with socket.socket() as busy, socket.socket() as freed:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        freed.bind(("127.0.0.1", 0))
        free_port = freed.getsockname()[1]
        freed.close()
        port = busy.getsockname()[1]
        got = taken([("甲", "127.0.0.1", port), ("乙", "127.0.0.1", free_port), ("丙", "127.0.0.1", 0)])
    assert got == [f"甲 127.0.0.1:{port}"]


def test_given_monitor_rights_in_the_environment_when_loaded_then_each_role_holds_what_was_set(monkeypatch):
    from core.access import Right, Role

    monkeypatch.setenv("HOTLINE_WEB__MONITOR__MONITOR_ROLES", '["supervisor", "admin"]')
    monkeypatch.setenv("HOTLINE_WEB__MONITOR__BARGE_ROLES", '["admin"]')
    monkeypatch.setenv("HOTLINE_WEB__MONITOR__STEER_ROLES", '["admin"]')

    rights = demo_settings().web.monitor.rights()

    assert rights[Role.SUPERVISOR] == {Right.MONITOR}
    assert rights[Role.ADMIN] == {Right.MONITOR, Right.BARGE, Right.STEER}
    assert rights[Role.INSPECTOR] == rights[Role.SEAT] == frozenset()
    # Unset: supervisors and admins hold all three, inspectors may listen, seats nothing.
    monkeypatch.delenv("HOTLINE_WEB__MONITOR__MONITOR_ROLES")
    monkeypatch.delenv("HOTLINE_WEB__MONITOR__BARGE_ROLES")
    monkeypatch.delenv("HOTLINE_WEB__MONITOR__STEER_ROLES")
    defaults = demo_settings().web.monitor.rights()
    assert defaults[Role.SUPERVISOR] == {Right.MONITOR, Right.BARGE, Right.STEER}
    assert (defaults[Role.INSPECTOR], defaults[Role.SEAT]) == ({Right.MONITOR}, frozenset())


def test_given_a_role_that_does_not_exist_in_monitor_rights_then_a_chinese_configuration_error(monkeypatch):
    monkeypatch.setenv("HOTLINE_WEB__MONITOR__BARGE_ROLES", '["boss"]')

    with pytest.raises(ConfigurationError, match="配置无效"):
        demo_settings()
