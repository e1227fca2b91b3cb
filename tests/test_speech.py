"""What a GP may say at the menu, as Twilio's recogniser writes it."""

from __future__ import annotations

import pytest

from ivr.speech import fold, match_command, match_specialty
from rota.queries import MenuEntry

ENTRIES = [
    MenuEntry(1, "neurology", "1", "neurologie", "neurology", ("neurologie", "neuro", "neurologue", "AVC")),
    MenuEntry(2, "neurosurgery", "2", "neurochirurgie", "neurosurgery", ("neurochirurgien",)),
    MenuEntry(3, "paediatrics", "3", "pédiatrie", "paediatrics", ("pédiatre", "enfant")),
    MenuEntry(4, "geriatrics", None, "gériatrie", "geriatrics", ("personne âgée",)),
]


def test_fold_lowercases_and_drops_accents_and_punctuation():
    assert fold("Pédiatrie, s'il vous plaît !") == ["pediatrie", "s", "il", "vous", "plait"]


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("Neurologie.", "neurology"),
        ("la neuro s'il vous plaît", "neurology"),
        ("NEUROLOGUE", "neurology"),
        ("un neurologue de garde", "neurology"),
        ("j'ai besoin des neurologues", "neurology"),  # plural of a long keyword
        ("Neurochirurgie.", "neurosurgery"),  # "neuro" is a whole-word keyword, not a prefix
        ("pediatrie", "paediatrics"),  # accents missing
        ("Pédiatre !", "paediatrics"),
        ("c'est pour une personne âgée", "geriatrics"),  # multi-word keyword, speech-only specialty
        ("Neurology please", "neurology"),  # English name
        ("suspicion d'AVC", "neurology"),
    ],
)
def test_words_pick_one_specialty(said, code):
    chosen = match_specialty(ENTRIES, said)
    assert chosen is not None and chosen.code == code


@pytest.mark.parametrize("said", ["", "euh", "bonjour", "neurologie ou pédiatrie"])
def test_nothing_or_several_specialties_pick_none(said):
    assert match_specialty(ENTRIES, said) is None


@pytest.mark.parametrize(
    ("said", "command"),
    [("English please", "english"), ("en anglais", "english"), ("Français.", "french"), ("le standard", "switchboard"), ("neuro", None)],
)
def test_commands(said, command):
    assert match_command(said) == command
