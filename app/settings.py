"""Typed settings from the environment (prefix `HOTLINE_`, sections split by `__`).

Examples: `HOTLINE_DATABASE__URL=postgresql://hotline@db/hotline`, `HOTLINE_AMI__SECRET=...`,
`HOTLINE_REDIS__URL=redis://127.0.0.1:6379/0`. Each component is handed only its own section.
Outside demo mode the shipped default secrets are refused: a production deployment must set its
own.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from asterisk_conf.render import QUEUE_WRAPUP_S
from core.errors import ConfigurationError

DEMO_AMI_SECRET = "hotline-demo-ami-secret"
DEMO_SESSION_SECRET = "hotline-demo-session-secret-change-me"
DEMO_ADMIN_PASSWORD = "demo12348"


class DatabaseSettings(BaseModel):
    url: str = "sqlite:///./hotline.db"
    auto_migrate: bool = Field(default=False, description="在启动时自动迁移数据库（演示模式总是迁移）")


class RedisSettings(BaseModel):
    url: str | None = Field(default=None, description="多进程部署时用于事件分发的 Redis 地址")
    channel: str = "hotline:events"


class AmiSettings(BaseModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "hotline"
    secret: SecretStr = SecretStr(DEMO_AMI_SECRET)
    action_timeout_s: float = 5.0
    reconnect_max_s: float = 30.0


class AgiSettings(BaseModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 4573


class AudioSocketSettings(BaseModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9092


class AsrSettings(BaseModel):
    model_path: str | None = Field(
        default="./models/vosk-model-small-cn-0.22", description="Vosk 模型目录（获取方法见 README）"
    )
    max_streams: int = 4
    idle_timeout_s: float = Field(
        default=15.0, gt=0, description="语音流连续这么多秒没有音频即由我方结束，释放识别通道（通话继续）"
    )
    max_stream_s: float = Field(
        default=7200.0, gt=0, description="单路语音流的最长时长（秒），超过即由我方结束"
    )


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    session_secret: SecretStr = SecretStr(DEMO_SESSION_SECRET)
    transfer_numbers: dict[str, str] = Field(
        default_factory=lambda: {"12345": "12345", "12368": "12368", "12309": "12309"}
    )
    max_body_bytes: int = Field(default=1024 * 1024, gt=0, description="请求体上限（字节），CSV 导入除外")
    max_import_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="CSV 导入（机构表、排班表）的请求体上限（字节）"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="可信反向代理的地址或网段；只有来自这些地址的 X-Forwarded-For 才被采信（默认不信任任何代理）",
    )


class SeatsSettings(BaseModel):
    # One number for both: the board's wrap-up and the queues' `wrapuptime` (rendered from it), so
    # the console never shows busy a seat Asterisk may already offer a call to.
    wrap_up_s: float = Field(
        default=QUEUE_WRAPUP_S,
        ge=0,
        description="话后整理时长（秒），即队列的 wrapuptime：坐席挂机后这段时间内 Asterisk 不再分配来电",
    )
    after_call_work_s: float = Field(
        default=0.0,
        ge=0,
        description="话后处理时长（秒）：大于 0 时，坐席挂机后在 Asterisk 中以“话后处理”原因示忙这么久；0 为关闭",
    )


class CallbacksSettings(BaseModel):
    tick_s: float = Field(default=10.0, description="回拨工单定时检查间隔（秒）：自动分配、预警、重拨")


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
    trunk: TrunkSettings = Field(default_factory=TrunkSettings)


class AsteriskRecordsSettings(BaseModel):
    """Asterisk's queue log and CDR files, read on every start and AMI reconnect to reconcile calls.

    `HOTLINE_ASTERISK_RECORDS__QUEUE_LOG=/var/log/asterisk/queue_log`,
    `HOTLINE_ASTERISK_RECORDS__CDR_CSV=/var/log/asterisk/cdr-csv/Master.csv`; empty: not read.
    """

    queue_log: str = Field(default="", description="Asterisk 队列日志文件路径（queue_log）")
    cdr_csv: str = Field(default="", description="Asterisk 话单文件路径（cdr-csv/Master.csv）")
    queue_log_tz: str = Field(
        default="Asia/Shanghai",
        description="队列日志使用 queue_log_dateformat 时的时区（Asterisk 服务器本地时间；Unix 时间戳不受影响）",
    )
    cdr_tz: str = Field(default="UTC", description="话单时间的时区（cdr.conf usegmtime=yes 时为 UTC）")
    database_url: str = Field(
        default="",
        description="Asterisk 把队列日志写入数据库时（realtime queue_log）该数据库的地址；设置后代替 queue_log 文件",
    )
    queue_log_table: str = Field(default="queue_log", description="数据库中队列日志表名")
    settle_s: float = Field(
        default=3600.0,
        description="记录多久无变化即视为通话已结束；数据库中未结束且 PBX 已无此通话多久后按未见结束关闭（秒）",
    )
    interval_s: float = Field(default=300.0, description="定时核对间隔（秒）；启动和每次 AMI 重连时也会核对")


class JournalSettings(BaseModel):
    """The local journal of events the database could not take (applied again once it is back)."""

    dir: str = Field(
        default="", description="事件日志目录；为空时放在 SQLite 数据库文件旁，或当前目录的 hotline-journal"
    )
    max_tries: int = Field(default=5, description="非连接类错误重试次数，超过后转入死信")


class SimulatorSettings(BaseModel):
    """The embedded PBX simulator: listens for AMI on `ami.host:ami.port`."""

    enabled: bool = False
    calls_per_hour: float = 240.0
    mean_talk_s: float = 60.0
    mean_patience_s: float = 90.0
    seed: int = 12348
    time_scale: float = 1.0
    auto_login_seats: bool = True
    # Where the simulator renders its Asterisk config and writes queue_log and cdr-csv/Master.csv
    # (None: a fresh temporary directory, logged at start).
    run_dir: Path | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_nested_delimiter="__", extra="ignore")

    demo: bool = False
    log_level: str = "info"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    ami: AmiSettings = Field(default_factory=AmiSettings)
    agi: AgiSettings = Field(default_factory=AgiSettings)
    audiosocket: AudioSocketSettings = Field(default_factory=AudioSocketSettings)
    asr: AsrSettings = Field(default_factory=AsrSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    seats: SeatsSettings = Field(default_factory=SeatsSettings)
    callbacks: CallbacksSettings = Field(default_factory=CallbacksSettings)
    sim: SimulatorSettings = Field(default_factory=SimulatorSettings)
    asterisk: AsteriskSettings = Field(default_factory=AsteriskSettings)
    asterisk_records: AsteriskRecordsSettings = Field(default_factory=AsteriskRecordsSettings)
    journal: JournalSettings = Field(default_factory=JournalSettings)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.demo:
            return self
        defaults = []
        if self.ami.enabled and self.ami.secret.get_secret_value() == DEMO_AMI_SECRET:
            defaults.append("HOTLINE_AMI__SECRET")
        if self.web.session_secret.get_secret_value() == DEMO_SESSION_SECRET:
            defaults.append("HOTLINE_WEB__SESSION_SECRET")
        if defaults:
            raise ValueError(
                "非演示模式下不允许使用默认密钥，请设置："
                + "、".join(defaults)
                + "（或以 hotline demo 运行演示）"
            )
        return self


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment plus explicit overrides; errors become ConfigurationError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", e)) for e in exc.errors())
        raise ConfigurationError(f"配置无效：{problems}") from exc


class _DatabaseOnly(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_nested_delimiter="__", extra="ignore")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)


class AsteriskSetupSettings(BaseSettings):
    """Only what rendering and reloading Asterisk's configuration needs (no web secrets)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_nested_delimiter="__", extra="ignore")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    ami: AmiSettings = Field(default_factory=AmiSettings)
    agi: AgiSettings = Field(default_factory=AgiSettings)
    asterisk: AsteriskSettings = Field(default_factory=AsteriskSettings)


def load_asterisk_setup_settings(**overrides: object) -> AsteriskSetupSettings:
    try:
        return AsteriskSetupSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", e)) for e in exc.errors())
        raise ConfigurationError(f"配置无效：{problems}") from exc


def load_database_settings() -> DatabaseSettings:
    """Only the database section: maintenance commands need no secrets."""
    return _DatabaseOnly().database


def demo_settings(**overrides: object) -> Settings:
    """The demo: simulator on, SQLite file beside the working directory, database migrated on start."""
    base: dict[str, object] = {
        "demo": True,
        "database": {"url": "sqlite:///./hotline-demo.db", "auto_migrate": True},
        "sim": {"enabled": True},
    }
    base.update(overrides)
    return load_settings(**base)
