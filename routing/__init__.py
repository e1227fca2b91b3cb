"""Routing from memory: the per-process snapshot of the menu and the hunt lists ahead (issue 9, 13)."""
