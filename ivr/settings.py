"""The FastAGI server's settings section (HOTLINE_AGI__...)."""

from __future__ import annotations

from pydantic import BaseModel

from core.voicemail import DEFAULT_PBX_DIR, VoicemailFolder


class AgiSettings(BaseModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 4573


class VoicemailSettings(BaseModel):
    """After-hours messages (HOTLINE_VOICEMAIL__...): where Asterisk records them on the PBX host
    (`pbx_dir`), where the app reads that folder when it runs elsewhere (`app_dir`, "" : the same
    path), and Record()'s limits."""

    pbx_dir: str = DEFAULT_PBX_DIR
    app_dir: str = ""
    max_s: int = 120
    silence_s: int = 5

    def folder(self) -> VoicemailFolder:
        return VoicemailFolder(self.pbx_dir, self.app_dir)

    def longest_command_s(self) -> float:
        """How long the IVR's `EXEC Record` may run: the longest message, its closing silence and a
        margin (the FastAGI command timeout must not cut a message short)."""
        return self.max_s + self.silence_s + 30.0
