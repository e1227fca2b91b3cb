"""Words that give a page's language away, and the text of a page as a person reads it (what the page
marks as another language left out): the browser tests check that a French page has none of the English
ones, and an English page none of the French ones."""

from __future__ import annotations

import re

# Words that give the other language away. Whole words, case-sensitive; none is a name of the demo world.
ENGLISH_TELLTALES = (
    "the",
    "and",
    "of",
    "with",
    "Save",
    "Cancel",
    "Delete",
    "Edit",
    "Week",
    "Month",
    "Monday",
    "Sunday",
    "calls",
    "connected",
    "nobody",
    "Sign out",
    "Search",
    "Previous",
    "Next",
    "Back",
    "Rotations",
    "Shift",
    "Leave",
    "Swap",
    "Settings",
    "Users",
    "attempts",
    "missed",
    "median",
    "hour",
    "day",
    "From",
    "Name",
    "Time zone",
    "Phone",
)
FRENCH_TELLTALES = (
    "le",
    "la",
    "les",
    "des",
    "du",
    "une",
    "est",
    "pour",
    "avec",
    "Enregistrer",
    "Annuler",
    "Supprimer",
    "Semaine",
    "lundi",
    "dimanche",
    "appels",
    "personne",
    "Déconnexion",
    "Rechercher",
    "Précédent",
    "Suivant",
    "Retour",
    "Roulements",
    "Absence",
    "Échange",
    "Réglages",
    "Comptes",
    "tentatives",
    "médiane",
    "heure",
    "jour",
    "Nom",
)


def telltales_on(page, words: tuple[str, ...]) -> list[str]:
    # What a person reads: the page's text, less what the page itself marks as another language.
    text = page.evaluate(
        """() => { const copy = document.body.cloneNode(true);
                   copy.querySelectorAll('[lang]').forEach(e => { if (e.lang !== document.documentElement.lang) e.remove(); });
                   return copy.innerText + ' ' + document.title; }"""
    )
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
