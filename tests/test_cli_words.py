"""The commands speak the reader's language (core.cli): ``CLI_LANGUAGE``, else ``DEFAULT_LANGUAGE``,
else French. Run through Flask's CLI runner as IT would; what scripts read stays the same."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from sqlalchemy import select

from api.models import ApiToken
from tests.rota.builders import department

NBSP = "\u00a0"
ROOT = Path(__file__).resolve().parents[1]


def test_a_command_speaks_french_by_default_and_follows_default_language(make_app, tmp_path):
    path = tmp_path / "gps.csv"
    path.write_text("name;rpps;phones\nDr Alice Renaud;10001234567;01 99 00 02 01\n", encoding="utf-8")
    french = make_app(CLI_LANGUAGE="").test_cli_runner().invoke(args=["gps", "import", str(path)])
    assert french.exit_code == 0, french.output
    assert french.output == "1 généraliste créé, 0 mis à jour\n"  # singular: "1 généraliste", not "1 généraliste(s)"
    english = make_app(CLI_LANGUAGE="", DEFAULT_LANGUAGE="en").test_cli_runner().invoke(args=["gps", "import", str(path)])
    assert english.output == "0 GPs created, 1 updated\n"
    chosen = make_app(CLI_LANGUAGE="fr", DEFAULT_LANGUAGE="en").test_cli_runner().invoke(args=["gps", "import", str(path)])
    assert chosen.output == "0 généraliste créé, 1 mis à jour\n"


def test_a_bad_cli_language_is_refused_at_start(make_app):
    with pytest.raises(Exception, match="CLI_LANGUAGE"):
        make_app(CLI_LANGUAGE="de")


def test_refusals_and_file_problems_in_french(french_cli, tmp_path):
    broken = tmp_path / "gps.csv"
    broken.write_text("name;rpps;phones\nDr Alice Renaud;123;01 99 00 02 01\nDr Bruno Caron;10001234568;\n", encoding="utf-8")
    result = french_cli("gps", "import", str(broken))
    assert result.exit_code == 1
    assert f"{broken}{NBSP}: ligne 2{NBSP}: le RPPS «{NBSP}123{NBSP}» doit compter 11 chiffres\n" in result.output
    assert f"{broken}{NBSP}: ligne 3{NBSP}: aucun numéro\n" in result.output
    assert f"Error: 2 problèmes{NBSP}; rien n’a été importé" in result.output
    no_rpps = tmp_path / "columns.csv"
    no_rpps.write_text("name;phones\nDr Alice Renaud;01 99 00 02 01\n", encoding="utf-8")
    columns = french_cli("gps", "import", str(no_rpps)).output
    assert f"ligne 1{NBSP}: colonne manquante{NBSP}: rpps (attendues{NBSP}: name, rpps, phones)" in columns
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("name;rpps;phones\nDr Inès Petit;10001234567;0199000201\n".encode("latin-1"))
    result = french_cli("gps", "import", str(latin1))
    assert f"n’est pas du texte UTF-8{NBSP}: exportez le tableur en CSV UTF-8" in result.output
    period = french_cli("report", "--from", "2026-03-02", "--to", "2026-03-01")
    assert period.exit_code == 2 and "la période se termine (2026-03-01) avant de commencer (2026-03-02)" in period.output
    day = french_cli("report", "--from", "2026-02-30")
    assert day.exit_code == 2 and f"--from doit être une date AAAA-MM-JJ, reçu «{NBSP}2026-02-30{NBSP}»" in day.output
    # An operation's refusal, found by its code and said in French (accounts.operations.AccountError).
    account = french_cli("users", "create", "not-an-email", "--name", "X", "--password-stdin", input="Correct-Horse-Battery-9\n")
    assert account.exit_code == 1 and account.output.endswith("Error: not-an-email n'est pas une adresse e-mail.\n")
    assert french_cli("notifications", "retry", "987654").output.endswith("aucun message n°987654\n")
    assert f"aucune spécialité «{NBSP}dermato{NBSP}»" in french_cli("callbacks", "deadline", "dermato").output


def test_tokens_in_french_keep_the_secret_alone_on_stdout(french_cli, session):
    department(session, "Neurosciences")
    session.commit()
    refused = french_cli("tokens", "create", "--name", "x")
    assert refused.exit_code == 1 and "indiquez les services que le jeton peut modifier (--department)" in refused.output
    created = french_cli("tokens", "create", "--name", "planning", "--department", "Neurosciences")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("rcs_") and "\n" not in secret  # a script reads stdout: only the secret, in every language
    listed = french_cli("tokens", "list").output
    assert "écrit dans Neurosciences" in listed and "créé le " in listed and "actif" in listed
    token_id = session.scalar(select(ApiToken.id))
    session.rollback()  # SQLite: no read transaction left open while the command writes
    assert f"jeton n°{token_id} «{NBSP}planning{NBSP}» créé{NBSP}; son secret, affiché une seule fois{NBSP}:" in created.stderr
    assert french_cli("tokens", "revoke", str(token_id)).output == f"jeton n°{token_id} «{NBSP}planning{NBSP}» révoqué\n"


def test_empty_lists_and_the_scheduler_in_french(make_app):
    runner = make_app(CLI_LANGUAGE="fr").test_cli_runner()
    assert runner.invoke(args=["calls", "list"]).output == "aucun appel pour l’instant\n"
    assert runner.invoke(args=["callbacks", "list"]).output == "aucune demande de rappel en cours\n"
    assert runner.invoke(args=["notifications", "failed"]).output == "aucun message en échec\n"
    assert runner.invoke(args=["tokens", "list"]).output == "aucun jeton\n"
    status = runner.invoke(args=["scheduler", "status"]).output
    assert status.startswith("aucune instance du planificateur ne tourne\n") and "jamais exécuté" in status
    assert "tolérance de retard" in status and "never run" not in status


def test_demo_seed_in_french_with_plurals(make_app):
    # No calls: the words are the same, the three months of calls are tests/test_demo_seed.py's.
    result = make_app(CLI_LANGUAGE="fr").test_cli_runner().invoke(args=["demo", "seed", "--days", "0"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"données de démonstration ajoutées{NBSP}: 4 spécialités, ")
    assert f"administrateur de démonstration{NBSP}: admin@recours.example.org / " in result.output


def test_twilio_setup_in_french(make_app):
    output = make_app(CLI_LANGUAGE="fr").test_cli_runner().invoke(args=["twilio-setup"]).output
    assert f"à configurer sur le numéro Twilio{NBSP}:" in output and "/twilio/voice" in output
    assert "configure the Twilio number" not in output


# -- no English sentence written past the catalogue ---------------------------------------------------------

WRITERS = {"echo", "secho", "ClickException", "UsageError", "BadParameter", "prompt", "confirm"}


def _literal_words(node: ast.AST) -> list[str]:
    """The letters a person would read in a string written straight into the call (not a catalogue key)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if any(c.isalpha() for c in node.value) else []
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and any(c.isalpha() for c in v.value)]
    if isinstance(node, ast.BinOp):
        return _literal_words(node.left) + _literal_words(node.right)
    return []


def test_no_command_writes_a_sentence_outside_the_catalogue():
    """Every ``click.echo``/``ClickException``/… of a command module takes its words from the catalogue
    (``words._``, ``words.ngettext``): a literal sentence there would be English for a French reader."""
    found = []
    for path in sorted(ROOT.glob("*/cli.py")):
        if path.parts[-2] in {"simulator"}:  # the simulator's transcript is the developer's trace (TWILIO.md terms)
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in WRITERS and node.args:
                    found += [f"{path.relative_to(ROOT)}:{node.lineno}: {text!r}" for text in _literal_words(node.args[0])]
    assert found == []


# -- help texts -------------------------------------------------------------------------------------------

FLASK_OWN = {"run", "shell", "routes", "call"}  # Flask's commands, and the simulator's (in Twilio's terms)


def test_help_is_said_in_french(make_app):
    runner = make_app(CLI_LANGUAGE="fr").test_cli_runner()
    listing = runner.invoke(args=["--help"]).output
    # click shortens a help to its first words, joined by plain spaces.
    assert "Tableaux de garde : qui est de garde, trous et conflits,..." in listing
    assert "Comptes de l’application web." in listing
    assert "Duty rotas" not in listing
    rota = runner.invoke(args=["rota", "--help"]).output
    assert "Qui la ligne appelle pour SPECIALTY" in rota and "Who the hotline rings" not in rota
    gaps = runner.invoke(args=["rota", "gaps", "--help"])
    assert gaps.exit_code == 0 and "Les plages sans titulaire" in gaps.output and "Durée de la période examinée." in gaps.output
    assert "Stretches with nobody primary" not in gaps.output
    # The same command object, asked in English right after: nothing of the French stuck to it.
    english = make_app(CLI_LANGUAGE="en").test_cli_runner().invoke(args=["rota", "gaps", "--help"]).output
    assert "Stretches with nobody primary" in english and "Length of the period scanned." in english


def _commands(group, path=()):
    for name, command in group.commands.items():
        if not path and name in FLASK_OWN:
            continue
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))


def test_every_command_and_option_has_its_help_in_french(app):
    from core.cli import Command, CommandGroup
    from core.words import in_language

    french = in_language("fr")
    untranslated = []
    for path, command in _commands(app.cli):
        assert isinstance(command, Command | CommandGroup), f"flask {' '.join(path)} does not say its help in words"
        texts = [command.help] + [getattr(p, "help", None) for p in command.params]
        for text in filter(None, texts):
            cleaned = inspect.cleandoc(text)
            if french._(cleaned) == cleaned:
                untranslated.append((" ".join(path), cleaned))
    assert untranslated == []
