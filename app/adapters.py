"""Moved: the adapters now live beside the ports they implement (store/, ivr/, routing/)."""

from store.callback_seats import CallbackSeats  # moved: kept for app/console_*.py until they move

__all__ = ["CallbackSeats"]
