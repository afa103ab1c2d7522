"""Shared language of the hotline: ids, domain events, the event bus, the clock, ports and errors.

`core` imports no other project package and no third-party library: everything above it may
depend on it, it depends on nothing.
"""
