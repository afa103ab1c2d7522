"""pbx/sim."""
