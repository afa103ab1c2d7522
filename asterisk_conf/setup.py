"""`hotline asterisk-conf render|reload`: Asterisk's configuration from the seats in the database.

`render` writes every file Asterisk needs to start (asterisk_conf.render.FILES) for the active
seats that have a phone password (`hotline seats import`). `reload` renders again and asks the
running Asterisk over AMI to reload PJSIP, the queues and the dialplan (`Reload` with `Module`):
module reloads keep the calls in progress, unlike a restart.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from asterisk_conf.render import AsteriskConfValues, Seat, Trunk, render_asterisk_conf
from core.bus import EventBus
from core.errors import ConfigurationError, InvalidInput, PbxUnavailable
from ivr.menu import load_menu
from ivr.settings import AgiSettings
from pbx.ami_bridge import AmiBridge, ReconnectPolicy
from pbx.ami_control import AmiCallControl
from pbx.settings import DEMO_AMI_SECRET, AmiSettings, SeatsSettings
from pbx.tracker import CallTracker
from store.db import Database
from store.repositories import Repositories
from store.seat_phones import SeatPhoneRepository
from store.settings import DatabaseSettings, RecordingSettings
from store.supervisor_phones import SupervisorPhoneRepository

RELOAD_MODULES = ("res_pjsip.so", "app_queue.so", "pbx_config.so")
"""pjsip.conf (seats' phones, the trunk), queues.conf, extensions.conf."""


class TrunkSettings(BaseModel):
    """The carrier trunk for 12345 / 12368 / 12309 (and calls to 12348); default: a local test trunk."""

    host: str = "127.0.0.1"
    port: int = 5070
    username: str = ""
    password: SecretStr = SecretStr("")
    from_user: str = Field(default="", description="运营商处的热线号码（主叫号码）")
    from_domain: str = ""
    registration: bool = Field(default=False, description="是否向运营商注册（SIP REGISTER）")
    qualify_s: int = Field(default=0, description="向运营商发送 OPTIONS 探测的间隔（秒），0 为不探测")


class AsteriskSettings(BaseModel):
    """What `hotline asterisk-conf render` writes besides the seats (HOTLINE_ASTERISK__...)."""

    sip_bind: str = "0.0.0.0:5060"
    rtp_start: int = 10000
    rtp_end: int = 20000
    prefix: str = Field(
        default="/usr", description="Asterisk 安装目录前缀（模块在 <prefix>/lib/asterisk/modules）"
    )
    etc_dir: str | None = Field(default=None, description="Asterisk 读取配置的目录；默认为生成目录")
    agi_host: str | None = Field(
        default=None, description="Asterisk 连接 FastAGI 的地址；默认取 HOTLINE_AGI__HOST"
    )
    ami_bind: str = "127.0.0.1"
    ami_permit: str = "127.0.0.1/255.255.255.255"
    reload_timeout_s: float = 10.0
    systemname: str = Field(
        default="",
        description="Asterisk 的 systemname：通话编号（Uniqueid）以“<systemname>-”开头，多台 Asterisk 的通话编号不会重复；默认不设",
    )
    trunk: TrunkSettings = Field(default_factory=TrunkSettings)


class AsteriskSetupSettings(BaseSettings):
    """Only what rendering and reloading Asterisk's configuration needs (no web secrets)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_nested_delimiter="__", extra="ignore")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    ami: AmiSettings = Field(default_factory=AmiSettings)
    agi: AgiSettings = Field(default_factory=AgiSettings)
    asterisk: AsteriskSettings = Field(default_factory=AsteriskSettings)
    # The queues' wrapuptime is the board's wrap-up (HOTLINE_SEATS__WRAP_UP_S): one setting.
    seats: SeatsSettings = Field(default_factory=SeatsSettings)
    recordings: RecordingSettings = Field(default_factory=RecordingSettings)


@dataclass(frozen=True)
class RenderReport:
    out_dir: Path
    files: list[Path]
    seats: list[str]

    def summary(self) -> str:
        names = "、".join(f.name for f in self.files)
        return f"已生成 Asterisk 配置（坐席 {len(self.seats)} 个）→ {self.out_dir}：{names}"


def _secret(settings: AsteriskSetupSettings) -> str:
    secret = settings.ami.secret.get_secret_value()
    if not secret.strip() or secret == DEMO_AMI_SECRET:
        raise ConfigurationError(
            "未设置 AMI 密码：请设置环境变量 HOTLINE_AMI__SECRET（不能为空，也不能使用演示默认值）"
        )
    return secret


def _out_dir(out: Path) -> Path:
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ConfigurationError(f"输出目录无效：{out} 是一个文件，不是目录")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"无法创建输出目录 {out}：{exc.strerror or exc}") from exc
    if not os.access(out, os.W_OK):
        raise ConfigurationError(f"输出目录 {out} 不可写")
    return out


def seats_for_asterisk(repos: Repositories) -> list[Seat]:
    """The active seats with their phone passwords; an active seat without one is an error."""
    phones = SeatPhoneRepository(repos.db).all()
    seats = [s for s in repos.seats.all() if s.active]
    if not seats:
        raise ConfigurationError("数据库中没有启用的坐席：请先用 hotline seats import 坐席.csv 导入坐席")
    missing = [s.id for s in seats if s.id not in phones]
    if missing:
        raise ConfigurationError(
            "以下坐席没有话机密码：" + "、".join(missing) + "（在导入文件的“话机密码”列填写后重新导入）"
        )
    out = []
    for s in seats:
        endpoint = s.interface.split("/", 1)[-1]
        if not s.interface.startswith("PJSIP/") or endpoint != s.id:
            raise ConfigurationError(f"坐席 {s.id} 的话机 {s.interface} 不是 PJSIP/{s.id}：请重新导入该坐席")
        out.append(Seat(s.id, phones[s.id]))
    return out


def supervisor_phones_for_asterisk(db: Database) -> list[Seat]:
    """The supervisors' own phones (班长监听 rings them first): endpoints like the seats'."""
    return [
        Seat(endpoint, password) for endpoint, password in sorted(SupervisorPhoneRepository(db).all().items())
    ]


def conf_values(settings: AsteriskSetupSettings, seats: list[Seat], etc_dir: Path) -> AsteriskConfValues:
    a = settings.asterisk
    agi_host = a.agi_host or settings.agi.host
    if agi_host in ("", "0.0.0.0", "::"):
        agi_host = "127.0.0.1"
    trunk = Trunk(
        host=a.trunk.host,
        port=a.trunk.port,
        username=a.trunk.username,
        password=a.trunk.password.get_secret_value(),
        from_user=a.trunk.from_user,
        from_domain=a.trunk.from_domain,
        register=a.trunk.registration,
        qualify_s=a.trunk.qualify_s,
    )
    return AsteriskConfValues(
        ami_secret=_secret(settings),
        ami_user=settings.ami.username,
        ami_port=settings.ami.port,
        ami_bind=a.ami_bind,
        ami_permit=a.ami_permit,
        agi_host=agi_host,
        agi_port=settings.agi.port,
        prompt_base=load_menu().settings.prompt_base,
        sip_bind=a.sip_bind,
        rtp_start=a.rtp_start,
        rtp_end=a.rtp_end,
        prefix=a.prefix,
        etc_dir=a.etc_dir or str(etc_dir),
        seats=tuple(seats),
        trunk=trunk,
        # Whole seconds, as Asterisk reads it, rounded up: the board never frees a seat early.
        wrapup_s=math.ceil(settings.seats.wrap_up_s),
        recordings_dir=settings.recordings.pbx_dir,
        systemname=a.systemname,
    )


def render_from_database(settings: AsteriskSetupSettings, out: Path) -> RenderReport:
    _secret(settings)  # before touching the database or the disk
    with Database(settings.database.url) as db:
        seats = seats_for_asterisk(Repositories(db))
        phones = supervisor_phones_for_asterisk(db)
    out_dir = _out_dir(out)
    try:
        files = render_asterisk_conf(out_dir, conf_values(settings, seats + phones, out_dir))
    except (ValueError, KeyError) as exc:
        raise InvalidInput(f"无法生成 Asterisk 配置：{exc}") from exc
    return RenderReport(out_dir, files, [s.id for s in seats])


async def reload_asterisk(
    settings: AsteriskSetupSettings,
    *,
    modules: tuple[str, ...] = RELOAD_MODULES,
) -> list[tuple[str, str]]:
    """Log in to AMI and reload `modules`, each step bounded by HOTLINE_ASTERISK__RELOAD_TIMEOUT_S;
    returns (module, Asterisk's message) per module."""
    limit = settings.asterisk.reload_timeout_s
    bridge = AmiBridge(
        settings.ami.login(),
        tracker=CallTracker(),
        bus=EventBus(),
        reconnect=ReconnectPolicy(initial=0.2, maximum=1.0),
        connect_timeout=limit,
        login_timeout=limit,
    )
    where = f"{settings.ami.host}:{settings.ami.port}"
    await bridge.start()
    try:
        try:
            async with asyncio.timeout(limit):
                while not bridge.status.connected:  # noqa: ASYNC110 (the bridge offers no event)
                    await asyncio.sleep(0.05)
        except TimeoutError:
            detail = bridge.status.last_error or "无响应"
            raise PbxUnavailable(f"无法登录 Asterisk AMI（{where}）：{detail}", host=where) from None
        control = AmiCallControl(bridge, timeout=limit)
        return [(m, await control.reload(m)) for m in modules]
    finally:
        await bridge.stop(drain_timeout=1.0)


def render_and_reload(
    settings: AsteriskSetupSettings, out: Path, *, reload: bool, say: Callable[[str], None]
) -> None:
    """`hotline asterisk-conf render|reload`: render the files into `out`, then (`reload`) have
    Asterisk reload them over AMI; `say` reports each step as it is done."""
    say(render_from_database(settings, out).summary())
    if reload:
        for module, message in asyncio.run(reload_asterisk(settings)):
            say(f"已重新加载 {module}：{message}")
