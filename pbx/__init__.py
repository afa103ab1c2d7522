"""Asterisk Manager Interface: the bridge, the call tracker, call control, and the PBX simulator."""
