"""Refusals are known by their code, never by their words: every code has a message in both languages,
the web and the API map codes (never message text), and no code in the repository reads an error's
text to decide anything (the check below fails on ``"expected" in str(exc)``-style matching)."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import rota.operations  # noqa: F401 - registers its error type
import slots.operations  # noqa: F401 - registers its error type
import voice.operations  # noqa: F401 - registers its error type
from core.errors import Kind, error_types
from rota.operations import RotaError
from scripts.translations import read

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    p
    for d in (
        "accounts",
        "api",
        "audit",
        "callbacks",
        "calllog",
        "core",
        "directory",
        "ivr",
        "reports",
        "rota",
        "scheduler",
        "slots",
        "voice",
        "web",
        "webhooks",
        "tests",
    )
    for p in (ROOT / d).rglob("*.py")
]
ALL_CODES = [(kind, name, code) for kind in error_types() for name, code in kind.codes.items()]


@pytest.fixture(scope="module")
def french():
    return {m.id: m.string for m in read("fr") if m.id}


@pytest.mark.parametrize(("kind", "name", "code"), ALL_CODES, ids=[f"{k.prefix}.{n}" for k, n, _ in ALL_CODES])
def test_every_code_has_a_french_message_with_the_same_params(french, kind, name, code):
    """The message is marked for the catalogue (``N_`` on a literal) and translated there."""
    assert french.get(code.message), f"{kind.prefix}.{name}: no French for {code.message!r} (make translations)"
    fields = {f for _, f, _, _ in string.Formatter().parse(code.message) if f}
    assert fields == {f for _, f, _, _ in string.Formatter().parse(french[code.message]) if f}


def test_an_error_carries_its_code_field_and_params_and_words_them_in_english():
    refused = RotaError("unknown_senior", field="members", senior_id=987654)
    assert (refused.code, refused.field, refused.params, refused.kind) == (
        "rota.unknown_senior",
        "members",
        {"senior_id": 987654},
        Kind.INVALID,
    )
    assert str(refused) == "There is no senior #987654."
    assert RotaError("period_order").field == "ends_at"  # the code's own field unless the raise names another
    assert RotaError("changed").code == "core.changed" and RotaError("changed").kind is Kind.CONFLICT
    with pytest.raises(KeyError):
        RotaError("no such code")


ERROR_NAMES = {"exc", "error", "err", "e", "refusal", "refused"}


def _reads_error_text(node: ast.AST, attributes=("message", "template", "args")) -> bool:
    """``str(exc)``, ``exc.message``, ``exc.args[...]`` (or ``exc.template``, in a comparison)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
        return isinstance(node.args[0], ast.Name) and node.args[0].id in ERROR_NAMES
    if isinstance(node, ast.Attribute) and node.attr in attributes:
        return isinstance(node.value, ast.Name) and node.value.id in ERROR_NAMES
    return isinstance(node, ast.Subscript) and _reads_error_text(node.value, attributes)


def test_no_code_decides_by_an_errors_words():
    operation_errors = {kind.__name__ for kind in error_types()}
    found = []
    for path in SOURCES:
        test = path.is_relative_to(ROOT / "tests")
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            # The application never decides by an error's words (tests may read what a diagnostic says).
            if not test and isinstance(node, ast.Compare) and any(_reads_error_text(side) for side in [node.left, *node.comparators]):
                found.append(f"{where}: compares an error's text")
            translated = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"translate", "_"}
            if not test and translated and node.args and _reads_error_text(node.args[0], ("message", "args")):
                found.append(f"{where}: translates an error's text (translate its code's template)")
            # Tests check what an operation refused by its code.
            if (
                test
                and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "raises"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in operation_errors
                and any(k.arg == "match" for k in node.keywords)
            ):
                found.append(f"{where}: pytest.raises(..., match=) on an operation's error (check .code)")
    assert not found, "\n".join(found)
