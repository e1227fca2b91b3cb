"""What Recours writes to seniors, in French (the hospital's working language).

No patient data, ever: the GP's name (a professional), the specialty, a code and times. Kept to the
GSM alphabet where possible (é, è, à are in it; ê, ç are not) so an SMS stays one or two segments.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.phones import national


def hhmm(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M")


def day_hhmm(at: datetime, zone: ZoneInfo) -> str:
    days = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")
    local = at.astimezone(zone)
    return f"{days[local.weekday()]} {local:%d/%m %H:%M}"


def gp_label(gp_name: str | None, caller_e164: str | None) -> str:
    if gp_name:
        return gp_name if gp_name.lower().startswith(("dr ", "pr ", "dr.", "docteur")) else f"Dr {gp_name}"
    if caller_e164:
        return f"un médecin non identifié ({national(caller_e164)})"
    return "un médecin au numéro masqué"


def new_request(code: str, gp: str, specialty: str, deadline: str, hidden: bool) -> str:
    if hidden:
        return (
            f"Recours: rappel demandé par {gp} ({specialty}), code {code}, avant {deadline}. "
            f"Numéro masqué: R {code} pour écouter son message, OK {code} pour le prendre en charge."
        )
    return (
        f"Recours: rappel demandé par {gp} ({specialty}), code {code}, avant {deadline}. "
        f"R {code} pour être mis en relation, OK {code} pour le prendre en charge."
    )


def escalation(code: str, gp: str, specialty: str, requested: str, deadline: str, acknowledged_by: str | None) -> str:
    if acknowledged_by:
        state = f"pris en charge par {acknowledged_by} n'est pas fait"
    else:
        state = f"demandé à {requested} n'est pris en charge par personne"
    return f"Recours: le rappel {code} ({specialty}, {gp}) {state}, échéance {deadline}. R {code} pour rappeler vous-même."


def unrouted(code: str, gp: str, deadline: str) -> str:
    return f"Recours: rappel demandé par {gp} sans spécialité choisie, code {code}, avant {deadline}. A attribuer: flask callbacks list."


def shift_reminder(specialty: str, layer: str, starts: str) -> str:
    role = "en renfort" if layer == "backup" else "de garde"
    return f"Recours: vous êtes {role} en {specialty} à partir de {starts}."


def missed_call(specialty: str, at: str, outcome: str) -> str:
    return f"Recours: appel manqué de la ligne des généralistes ({specialty}) à {at}. {outcome}"


def coverage_gaps(count: int, days: int, first: str) -> str:
    plural = "s" if count > 1 else ""
    return f"Recours: {count} période{plural} sans médecin de garde dans les {days} jours. Première: {first}. Détail: flask rota gaps."


# -- replies to a senior's SMS ----------------------------------------------------------------------

HELP = (
    "Recours: OK <code> pour prendre en charge un rappel, R <code> pour être mis en relation avec le médecin, "
    "LISTE pour vos rappels en cours."
)


def acknowledged(code: str) -> str:
    return f"Rappel {code} pris en charge. R {code} pour être mis en relation avec le médecin."


def acknowledged_by_other(code: str, name: str, at: str) -> str:
    return f"Rappel {code} déjà pris en charge par {name} à {at}. R {code} pour rappeler quand même."


def already_done(code: str, name: str, at: str) -> str:
    return f"Rappel {code} déjà fait par {name} à {at}."


def unknown_code(code: str) -> str:
    return f"Aucun rappel en cours avec le code {code}."


def not_yours(code: str) -> str:
    return f"Le rappel {code} ne vous a pas été adressé."


def which_one(codes: list[str]) -> str:
    return f"Plusieurs rappels en cours: {', '.join(codes)}. Répondez OK <code> ou R <code>."


NONE_OPEN = "Aucun rappel en cours pour vous."


def listing(lines: list[str]) -> str:
    return "Rappels en cours: " + "; ".join(lines) + "."


def calling_you(code: str) -> str:
    return f"Recours vous appelle pour le rappel {code}: décrochez, puis tapez 1 pour joindre le médecin."


def call_will_retry(code: str) -> str:
    return f"Recours n'a pas pu vous appeler tout de suite pour le rappel {code}; nouvel essai dans la minute."


def call_failed(code: str) -> str:
    return f"Recours n'a pas pu vous appeler pour le rappel {code}. Réessayez: R {code}."
