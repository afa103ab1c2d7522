"""Where after-hours messages (留言) live: the folder Asterisk records into, as the PBX names it
and as the app reads it.

Asterisk writes `<pbx_dir>/<call>.wav` on the PBX host; the IVR asks for that name and the work
order keeps it exactly as written. The app (the console that streams it to the lawyer) may run on
another host: it reads the same folder shared to it (NFS, a bind mount...) under `app_dir`. A path
that is not inside `pbx_dir` is never mapped (nothing outside the folder can be fetched through it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DEFAULT_PBX_DIR = "/var/spool/asterisk/hotline-voicemail"
FORMAT = "wav"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class VoicemailFolder:
    pbx_dir: str = DEFAULT_PBX_DIR
    app_dir: str = ""  # "" : the app runs on the PBX host and reads pbx_dir itself

    def recording_for(self, call_id: str) -> str:
        """The file (with its format's extension) Asterisk is asked to record the call's message into."""
        name = _UNSAFE.sub("_", call_id) or "message"
        return str(PurePosixPath(self.pbx_dir) / f"{name}.{FORMAT}")

    def local(self, recording: str) -> Path | None:
        """Where the app reads `recording` (a path Asterisk wrote); None when it is outside the folder."""
        return map_to_app(recording, self.pbx_dir, self.app_dir)


def map_to_app(recording: str, pbx_dir: str, app_dir: str) -> Path | None:
    """Where the app reads `recording`, a file Asterisk wrote inside `pbx_dir`, when that folder is
    shared to the app under `app_dir` ("": the same path); None for a path outside the folder."""
    if not recording:
        return None
    written, base = PurePosixPath(recording), PurePosixPath(pbx_dir)
    if ".." in written.parts or not written.is_relative_to(base) or written == base:
        return None
    return Path(app_dir or pbx_dir) / written.relative_to(base)
