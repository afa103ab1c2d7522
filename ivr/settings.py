"""The FastAGI server's settings section (HOTLINE_AGI__...)."""

from __future__ import annotations

from pydantic import BaseModel


class AgiSettings(BaseModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 4573
