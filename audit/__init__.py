"""The audit log: who changed what, when, with the values before and after.

Every change made through the web app calls :func:`record` in the same transaction as the change, so
the entry exists if and only if the change does.
"""

from audit.operations import record, snapshot

__all__ = ["record", "snapshot"]
