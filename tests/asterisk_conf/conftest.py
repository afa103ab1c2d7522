"""Tests of the rendered Asterisk configuration; `dialplan_walk.py` is importable because this
folder is put on sys.path (pytest runs with --import-mode=importlib)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
