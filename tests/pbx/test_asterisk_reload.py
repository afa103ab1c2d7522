"""`hotline asterisk-conf reload` against the fake AMI server: the AMI actions it sends, and what it
says when Asterisk refuses or cannot be reached (all within the configured timeout)."""

from __future__ import annotations

import pytest
from fake_ami_server import FakeAmiServer

from app.settings import AsteriskSetupSettings, load_asterisk_setup_settings
from asterisk_conf.setup import RELOAD_MODULES, reload_asterisk
from core.errors import PbxActionFailed, PbxUnavailable


def _settings(server: FakeAmiServer, port: int, *, secret: str | None = None) -> AsteriskSetupSettings:
    return load_asterisk_setup_settings(
        ami={
            "host": "127.0.0.1",
            "port": port,
            "username": server.username,
            "secret": secret or server.secret,
        },
        asterisk={"reload_timeout_s": 2.0},
    )


async def test_given_asterisk_when_reloading_then_pjsip_queues_and_dialplan_are_reloaded_by_module(
    ami_server: FakeAmiServer,
) -> None:
    port = ami_server.port

    result = await reload_asterisk(_settings(ami_server, port))

    sent = ami_server.actions_named("Reload")
    assert [a.get("Module") for a in sent] == ["res_pjsip.so", "app_queue.so", "pbx_config.so"]
    assert [m for m, _ in result] == list(RELOAD_MODULES)
    assert {msg for _, msg in result} == {"Module Reloaded."}
    assert not ami_server.actions_named("Command")  # no restart, no `core reload` of everything


async def test_given_a_module_asterisk_refuses_when_reloading_then_its_message_is_the_error(
    ami_server: FakeAmiServer,
) -> None:
    port = ami_server.port
    ami_server.fail("Reload", "No such module.")

    with pytest.raises(PbxActionFailed, match="No such module"):
        await reload_asterisk(_settings(ami_server, port))


async def test_given_a_wrong_secret_when_reloading_then_login_fails_within_the_timeout(
    ami_server: FakeAmiServer,
) -> None:
    port = ami_server.port

    with pytest.raises(PbxUnavailable, match="无法登录 Asterisk AMI"):
        await reload_asterisk(_settings(ami_server, port, secret="wrong"))
    assert not ami_server.actions_named("Reload")


async def test_given_a_silent_asterisk_when_reloading_then_the_timeout_ends_it(
    ami_server: FakeAmiServer,
) -> None:
    port = ami_server.port
    ami_server.silence("Reload")

    with pytest.raises(PbxUnavailable, match="Reload"):
        await reload_asterisk(_settings(ami_server, port))
