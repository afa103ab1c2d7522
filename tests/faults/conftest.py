"""The fault scenarios start their own peers (private PostgreSQL and Redis, the PBX simulator and
the app as processes); the machinery lives in bench/faults so the bench runner shares it."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
