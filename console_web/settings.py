"""The web console's settings section (HOTLINE_WEB__...)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

DEMO_SESSION_SECRET = "hotline-demo-session-secret-change-me"
"""The shipped session secret: accepted in demo mode only."""


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
