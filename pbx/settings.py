"""The AMI link's and the record reconciliation's settings sections (HOTLINE_AMI__..., HOTLINE_ASTERISK_RECORDS__...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from asterisk_conf.render import QUEUE_WRAPUP_S

DEMO_AMI_SECRET = "hotline-demo-ami-secret"
"""The shipped AMI secret: accepted in demo mode only."""


@dataclass(frozen=True, slots=True)
class AmiLogin:
    """Where an AMI session goes and as whom (the bridge's, and a one-off command's)."""

    host: str
    port: int
    username: str
    secret: str = field(repr=False)


class AmiSettings(BaseModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "hotline"
    secret: SecretStr = SecretStr(DEMO_AMI_SECRET)
    action_timeout_s: float = 5.0
    reconnect_max_s: float = 30.0

    def login(self, port: int | None = None) -> AmiLogin:
        """This section's login; `port` instead of its own (the embedded simulator's)."""
        return AmiLogin(
            self.host, self.port if port is None else port, self.username, self.secret.get_secret_value()
        )


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

    def or_simulated(self, queue_log: Path, cdr: Path) -> AsteriskRecordsSettings:
        """The embedded simulator writes Asterisk's queue log and CDR: unless other records are
        named, reconcile against its files, exactly as against a real Asterisk's."""
        if self.queue_log or self.cdr_csv or self.database_url:
            return self
        return self.model_copy(update={"queue_log": str(queue_log), "cdr_csv": str(cdr)})


class SeatsSettings(BaseModel):
    # One number for both: the board's wrap-up and the queues' `wrapuptime` (rendered from it), so
    # the console never shows busy a seat Asterisk may already offer a call to.
    wrap_up_s: float = Field(
        default=float(QUEUE_WRAPUP_S),
        ge=0,
        description="话后整理时长（秒），即队列的 wrapuptime：坐席挂机后这段时间内 Asterisk 不再分配来电",
    )
    after_call_work_s: float = Field(
        default=0.0,
        ge=0,
        description="话后处理时长（秒）：大于 0 时，坐席挂机后在 Asterisk 中以“话后处理”原因示忙这么久；0 为关闭",
    )
