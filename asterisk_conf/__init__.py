"""asterisk_conf."""
