"""Everything the hotline says, in French and English. Short sentences: a GP is on the clock."""

from __future__ import annotations

from collections.abc import Sequence

from rota.queries import MenuEntry

LANGUAGES = {"fr": "fr-FR", "en": "en-GB"}

_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "greeting": "Recours, avis spécialisé pour les médecins généralistes.",
        "choose": "{name}, tapez {digit}.",
        "say_it": "Ou dites la spécialité.",
        "switchboard_key": "Standard, tapez 0.",
        "english": "For English, press star.",
        "not_understood": "Je n'ai pas compris.",
        "no_menu": "Aucune spécialité n'est ouverte sur cette ligne.",
        "searching": "{Specialty}, je vous mets en relation.",
        "next_senior": "Pas de réponse, j'appelle un autre médecin.",
        "nobody_on_duty": "Aucun médecin n'est de garde en {specialty} en ce moment.",
        "nobody_answered": "Aucun médecin n'a pu répondre.",
        "callback_offer": "Pour être rappelé, tapez 1 ou restez en ligne. Pour le standard, tapez 0.",
        "recording_notice": (
            "Votre message sera enregistré pour que le médecin vous rappelle, puis effacé sous six mois. "
            "Après le bip, donnez votre nom et votre question, sans nommer le patient, puis tapez dièse."
        ),
        "callback_saved": "Votre demande de rappel est enregistrée. Un médecin vous rappellera. Au revoir.",
        "to_switchboard": "Je vous passe le standard.",
        "switchboard_missed": "Le standard ne répond pas.",
        "incident": "Un incident technique nous oblige à vous passer le standard.",
        "goodbye": "Au revoir.",
    },
    "en": {
        "greeting": "Recours, specialist advice for general practitioners.",
        "choose": "{name}, press {digit}.",
        "say_it": "Or say the specialty.",
        "switchboard_key": "Switchboard, press 0.",
        "english": "Pour le français, tapez étoile.",
        "not_understood": "Sorry, I did not understand.",
        "no_menu": "No specialty is open on this line.",
        "searching": "{Specialty}, putting you through.",
        "next_senior": "No answer, calling another senior.",
        "nobody_on_duty": "Nobody is on duty in {specialty} right now.",
        "nobody_answered": "No senior could answer.",
        "callback_offer": "To be called back, press 1 or stay on the line. For the switchboard, press 0.",
        "recording_notice": (
            "Your message will be recorded so that a senior can call you back, and deleted within six months. "
            "After the beep, give your name and question, without naming the patient, then press hash."
        ),
        "callback_saved": "Your callback request is saved. A senior will call you back. Goodbye.",
        "to_switchboard": "Transferring you to the switchboard.",
        "switchboard_missed": "The switchboard is not answering.",
        "incident": "A technical problem means we are transferring you to the switchboard.",
        "goodbye": "Goodbye.",
    },
}

# The announcement a senior hears is always in French: it is the hospital's working language.
WHISPER = {
    "known_gp": "Appel de la ligne des généralistes, docteur {gp}, pour {specialty}.",
    "unknown_gp": "Appel de la ligne des généralistes, un médecin au ",
    "unknown_gp_tail": "pour {specialty}.",
    "hidden_gp": "Appel de la ligne des généralistes, un médecin au numéro masqué, pour {specialty}.",
    "press_one": "Tapez 1 pour accepter, 2 pour refuser.",
    "not_accepted": "Appel non accepté. Au revoir.",
    "declined": "Appel refusé. Au revoir.",
}


def text(language: str, key: str, **values: str) -> str:
    return _TEXTS.get(language, _TEXTS["fr"])[key].format(**values)


def menu_text(language: str, entries: Sequence[MenuEntry], *, greeting: bool) -> str:
    parts = [text(language, "greeting")] if greeting else []
    keyed = [e for e in entries if e.digit]
    parts += [text(language, "choose", name=e.name(language), digit=e.digit) for e in keyed]
    parts += [text(language, "say_it"), text(language, "switchboard_key"), text(language, "english")]
    return " ".join(parts)
