"""Understanding what a GP says at the menu: "Neurologie.", "la neuro s'il vous plaît", "English".

Twilio returns capitals and punctuation; we compare folded words (lower case, no accents), so the
keywords a department types in its specialty settings match however the recogniser spelled them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

from rota.queries import MenuEntry

Command = Literal["english", "french", "switchboard"]

COMMAND_WORDS: dict[str, Command] = {
    "english": "english",
    "anglais": "english",
    "francais": "french",
    "french": "french",
    "standard": "switchboard",
    "operateur": "switchboard",
    "operatrice": "switchboard",
    "operator": "switchboard",
    "switchboard": "switchboard",
    "accueil": "switchboard",
}

# A word that starts with a keyword this long still counts ("neurologues" for "neurologue"), but a
# shorter keyword must match a whole word, so "neuro" does not swallow "neurochirurgie".
_PREFIX_MIN = 6


def fold(text: str) -> list[str]:
    """Lower-case words without accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9]+", bare)


def _phrases(entry: MenuEntry) -> list[list[str]]:
    phrases = [fold(k) for k in entry.keywords] + [fold(entry.name_fr), fold(entry.name_en)]
    return [p for p in phrases if p]


def _contains(words: list[str], phrase: list[str], *, prefix: bool) -> bool:
    n = len(phrase)
    for i in range(len(words) - n + 1):
        window = words[i : i + n]
        if window[:-1] != phrase[:-1]:
            continue
        last, wanted = window[-1], phrase[-1]
        if last == wanted or (prefix and len(wanted) >= _PREFIX_MIN and last.startswith(wanted)):
            return True
    return False


def match_specialty(entries: Sequence[MenuEntry], said: str) -> MenuEntry | None:
    """The one specialty the words designate, or None when none or several do."""
    words = fold(said)
    if not words:
        return None
    for prefix in (False, True):
        hits = [e for e in entries if any(_contains(words, p, prefix=prefix) for p in _phrases(e))]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            return None
    return None


def match_command(said: str) -> Command | None:
    commands = {COMMAND_WORDS[w] for w in fold(said) if w in COMMAND_WORDS}
    return commands.pop() if len(commands) == 1 else None


def speech_hints(entries: Sequence[MenuEntry], language: str) -> str:
    """Words to bias the recogniser towards, comma-separated as Twilio's ``hints`` expects."""
    words: list[str] = []
    for entry in entries:
        words.append(entry.name(language))
        words.extend(entry.keywords)
    words.extend(["standard", "English"] if language == "fr" else ["operator", "français"])
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(w.strip(), None)
    return ", ".join(w for w in seen if w)
