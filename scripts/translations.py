"""``make translations``: bring the catalogues in ``translations/`` up to date with the code, then compile.

1. ``pybabel extract`` with ``babel.cfg`` (Python and Jinja) finds every marked message;
2. ``pybabel update`` merges them into each language's ``messages.po``: a new message arrives with an
   empty French translation (and a changed one as *fuzzy*, with the old translation to revise) for a
   person to write; messages gone from the code are dropped;
3. English is the language the code is written in: a new or changed English entry is its own msgid
   (edit the ``msgstr`` in ``translations/en`` to reword a message without touching the code);
4. ``pybabel compile`` writes the ``.mo`` files the app loads (``make install`` compiles them too).

``python -m scripts.translations merge``, during a rebase or a merge that stopped on a conflicted
``messages.po``: keeps every message of both sides (a finished translation wins over an empty or fuzzy
one; the other branch's when both have one), marks the files resolved, then does the above.

The files are written sorted, without source locations or dates, so that two branches adding
messages merge without conflicts over line numbers. ``tests/test_translations.py`` fails when a
message is missing or fuzzy in either language, or when the catalogues are behind the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import CommandLineInterface, parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
MAPPING = ROOT / "babel.cfg"
LANGUAGES = ("fr", "en")
SOURCE_LANGUAGE = "en"
# Besides gettext's own names (_, N_, gettext, ngettext…): lazy form labels, the form helpers whose
# first argument is a label, the staff's sentences of the callback call, and SMS (language first).
EXTRA_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "lazy": None,
    "local_datetime_field": None,
    "senior_field": None,
    "_senior": None,
    "_sms": (2,),
}
KEYWORDS = {**DEFAULT_KEYWORDS, **EXTRA_KEYWORDS}
# No "#| msgid" of the previous text: Babel wraps it whatever the width, and reads the wrapped lines back as
# comments that pile up.
WRITE = {"width": None, "sort_output": True, "include_previous": False, "ignore_obsolete": True}


def extract_definitions(fileobj, keywords, comment_tags, options):
    """``reports/definitions.py``: its marked messages, and each heading, paragraph and list item of the text
    that defines the report's figures (its docstring, shown translated on the report page)."""
    import ast
    from io import BytesIO

    from babel.messages.extract import extract_python

    from reports.definitions import sections

    source = fileobj.read()
    yield from extract_python(BytesIO(source), keywords, comment_tags, options)
    for heading, blocks in sections(ast.get_docstring(ast.parse(source), clean=False) or ""):
        yield 1, None, heading, []
        for block in blocks:
            for text in block if isinstance(block, list) else [block]:
                yield 1, None, text, []


def extract_cli(fileobj, keywords, comment_tags, options):
    """A ``cli.py``: its marked messages, and the help texts ``--help`` shows (core.cli.CommandGroup
    translates them when shown): each command's docstring and every ``help="..."``, cleaned as click
    cleans them."""
    import ast
    import inspect
    from io import BytesIO

    from babel.messages.extract import extract_python

    source = fileobj.read()
    yield from extract_python(BytesIO(source), keywords, comment_tags, options)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and any(_makes_a_command(d) for d in node.decorator_list):
            if (doc := ast.get_docstring(node, clean=False)) is not None:
                yield node.lineno, None, inspect.cleandoc(doc), []
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "help" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    yield keyword.value.lineno, None, inspect.cleandoc(keyword.value.value), []


def _makes_a_command(decorator) -> bool:
    """``@group.command(...)``, ``@click.command(...)``, ``@click.group(...)``."""
    import ast

    call = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(call, ast.Attribute) and call.attr in ("command", "group")


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def extracted() -> Catalog:
    """What ``pybabel extract`` finds in the code now, as a catalogue (in memory)."""
    with MAPPING.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    catalog = Catalog()
    for _filename, _lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, auto_comments=comments, context=context)
    return catalog


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as source:
        return read_po(source, locale=language)


def write(language: str, catalog: Catalog) -> None:
    with po_path(language).open("wb") as out:
        write_po(out, catalog, **WRITE)


def english_is_its_own_msgid(catalog: Catalog) -> None:
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy or not message.string or not any(message.string if message.pluralizable else [message.string]):
            message.string = message.id
            message.flags.discard("fuzzy")
            message.previous_id = []


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *args])


def main() -> None:
    keywords = [f"--keyword={k}" + (":" + ",".join(map(str, spec)) if spec else "") for k, spec in EXTRA_KEYWORDS.items()]
    pybabel("extract", "-F", str(MAPPING), *keywords, "--no-location", "--sort-output", "--omit-header", "-o", str(TEMPLATE), str(ROOT))
    for language in LANGUAGES:
        if not po_path(language).exists():
            pybabel("init", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "-l", language, "--no-wrap")
    merge = ("--ignore-pot-creation-date", "--ignore-obsolete", "--no-wrap")
    pybabel("update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), *merge)
    english = read(SOURCE_LANGUAGE)
    english_is_its_own_msgid(english)
    write(SOURCE_LANGUAGE, english)
    TEMPLATE.unlink()
    pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")
    missing = [m.id for m in read("fr") if m.id and (m.fuzzy or not all(m.string if m.pluralizable else [m.string]))]
    if missing:
        print(f"{len(missing)} French translation(s) to write (empty or fuzzy) in {po_path('fr').relative_to(ROOT)}", file=sys.stderr)


def _done(message) -> bool:
    return not message.fuzzy and all(message.string if message.pluralizable else [message.string])


def merge_conflicts() -> None:
    """Both sides of each conflicted catalogue (git's stages 2 and 3), then :func:`main`."""
    import subprocess
    from io import BytesIO

    for language in LANGUAGES:
        path = str(po_path(language).relative_to(ROOT))
        sides = []
        for stage in (2, 3):
            shown = subprocess.run(["git", "show", f":{stage}:{path}"], cwd=ROOT, capture_output=True)
            if shown.returncode != 0:
                break
            sides.append(read_po(BytesIO(shown.stdout), locale=language))
        if len(sides) != 2:
            continue  # not in conflict
        ours, theirs = sides
        for message in theirs:
            mine = ours.get(message.id) if message.id else None
            if message.id and (mine is None or _done(message) or not _done(mine)):
                ours[message.id] = message
        write(language, ours)
        subprocess.run(["git", "add", path], cwd=ROOT, check=True)
    main()


if __name__ == "__main__":
    if sys.argv[1:] == ["merge"]:
        merge_conflicts()
    else:
        main()
