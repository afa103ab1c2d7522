"""console_web."""
