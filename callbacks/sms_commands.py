"""What a senior means by an SMS reply: "OK 4821", "r4821", "Rappel 4821", "4821", "liste"."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Action = Literal["acknowledge", "call", "list", "help"]

_ACK = {"ok", "oui", "pris", "prise", "vu", "ack", "je", "moi"}
_CALL = {"r", "rappel", "rappeler", "rappelle", "appel", "appeler", "call", "tel"}
_LIST = {"liste", "list", "l"}


@dataclass(frozen=True)
class SmsCommand:
    action: Action
    code: str | None = None


def _words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # "r4821" and "ok4821" are common on a phone keyboard: split letters from digits.
    return re.findall(r"[a-z]+|[0-9]+", bare)


def parse(body: str) -> SmsCommand:
    words = _words(body or "")
    if not words:
        return SmsCommand("help")
    code = next((w for w in words if w.isdigit()), None)
    first = words[0]
    if first in _CALL:
        return SmsCommand("call", code)
    if first in _LIST and code is None:
        return SmsCommand("list")
    if first in _ACK or first.isdigit():
        return SmsCommand("acknowledge", code)
    return SmsCommand("help")


def words(text: str) -> list[str]:
    """The words and numbers of an SMS, folded as the commands read them ("R4821" → ["r", "4821"])."""
    return _words(text)
