"""Typed settings from the environment (prefix `HOTLINE_`, sections split by `__`).

Examples: `HOTLINE_DATABASE__URL=postgresql://hotline@db/hotline`, `HOTLINE_AMI__SECRET=...`,
`HOTLINE_REDIS__URL=redis://127.0.0.1:6379/0`. Each component is handed only its own section.
Outside demo mode the shipped default secrets are refused: a production deployment must set its
own.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from asr.settings import AsrSettings, AudioSocketSettings
from asterisk_conf.setup import AsteriskSettings, AsteriskSetupSettings
from console_web.settings import DEMO_SESSION_SECRET, ProcessRole, WebSettings
from core.errors import ConfigurationError
from ivr.settings import AgiSettings, VoicemailSettings
from pbx.settings import DEMO_AMI_SECRET, AmiSettings, AsteriskRecordsSettings, SeatsSettings
from pbx.sim.demo import SimulatorSettings
from store.settings import DatabaseSettings, JournalSettings, RecordingSettings, RedisSettings

DEMO_ADMIN_PASSWORD = "demo12348"


class CallbacksSettings(BaseModel):
    tick_s: float = Field(default=10.0, description="回拨工单定时检查间隔（秒）：自动分配、预警、重拨")
    follow_up_days: float = Field(default=1.0, gt=0, description="不满意回访时限（工作日，按服务时间计）")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_nested_delimiter="__", extra="ignore")

    demo: bool = False
    role: ProcessRole = "all"
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
    voicemail: VoicemailSettings = Field(default_factory=VoicemailSettings)
    recordings: RecordingSettings = Field(default_factory=RecordingSettings)

    @model_validator(mode="after")
    def _role_needs(self) -> Settings:
        if self.role != "all" and not self.redis.url:
            raise ValueError(f"HOTLINE_ROLE={self.role} 需要 Redis 分发事件：请设置 HOTLINE_REDIS__URL")
        if self.asr.remote and not self.redis.url:
            raise ValueError("HOTLINE_ASR__REMOTE 需要 Redis 与语音识别进程通信：请设置 HOTLINE_REDIS__URL")
        if self.role == "web" and not self.web.telephony_url:
            raise ValueError("HOTLINE_ROLE=web 需要电话进程地址：请设置 HOTLINE_WEB__TELEPHONY_URL")
        return self

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


S = TypeVar("S", bound=BaseSettings)


def _load(cls: type[S], overrides: dict[str, Any]) -> S:
    """`cls` from the environment plus explicit overrides; errors become ConfigurationError."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", e)).removeprefix("Value error, ") for e in exc.errors())
        raise ConfigurationError(f"配置无效：{problems}") from exc


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment plus explicit overrides; errors become ConfigurationError."""
    return _load(Settings, overrides)


def load_asterisk_setup_settings(**overrides: object) -> AsteriskSetupSettings:
    return _load(AsteriskSetupSettings, overrides)


class _DatabaseOnly(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_nested_delimiter="__", extra="ignore")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)


def load_database_settings() -> DatabaseSettings:
    """Only the database section: maintenance commands need no secrets."""
    return _DatabaseOnly().database


def demo_settings(**overrides: object) -> Settings:
    """The demo: simulator on, SQLite file beside the working directory, database migrated on start."""
    base: dict[str, object] = {
        "demo": True,
        "database": {"url": "sqlite:///./hotline-demo.db", "auto_migrate": True},
        "sim": {"enabled": True},
        "recordings": {"pbx_dir": RecordingSettings.demo_dir()},
    }
    base.update(overrides)
    return load_settings(**base)
