"""The booking code the GP hands to the patient, who reads it to the secretariat over the phone.

Five characters from 32 that cannot be mistaken for one another when read aloud or copied by hand: no
0/O, no 1/I. 32**5 is over 33 million codes, unique for ever (``urgent_slot_booking.code``).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 5
_SHAPE = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str | None:
    """A code as typed ("k7m p4", "K7MP4") in its stored form, or None when it cannot be one."""
    code = re.sub(r"[\s\-.]", "", typed or "").upper()
    return code if _SHAPE.match(code) else None
