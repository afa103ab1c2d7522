"""Moved: the telephony builders now live in ivr/assembly.py, pbx/sim/demo.py and core/ticker.py."""

from routing.gazetteer import (
    SHANGHAI_DIR as GAZETTEER_DIR,  # moved: kept for app/console_*.py until they move
)

__all__ = ["GAZETTEER_DIR"]
