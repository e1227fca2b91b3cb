"""The same figures on the command line, as CSV, on the page, as SVG and as JSON that matches its
OpenAPI description (the scripted call log of conftest, placed once for the module)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from core import clock
from reports.openapi import PATHS, SCHEMAS
from reports.tables import ALL_TABLES, SUMMARY_TABLES
from tests.reports.conftest import FIRST_DAY, LAST_DAY

LATER = datetime(2026, 4, 6, 12, tzinfo=UTC)
QUERY = f"from={FIRST_DAY}&to={LAST_DAY}"


@pytest.fixture(scope="module")
def cli(shared_log):
    def run(*args: str):
        with clock.use_clock(lambda: LATER):
            return shared_log.app.test_cli_runner().invoke(args=["report", *args])

    return run


@pytest.fixture(scope="module")
def get(shared_log):
    client = shared_log.app.test_client()

    def fetch(url: str):
        with clock.use_clock(lambda: LATER):
            return client.get(url)

    return fetch


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# -- the command line --------------------------------------------------------------------------------


def test_flask_report_prints_every_table(cli):
    result = cli("--from", "2026-03-27", "--to", "2026-03-30")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Call report: whole hotline, 27 March 2026 to 30 March 2026 inclusive (Europe/Paris)")
    titles = ("Overview", "Calls by outcome", "Seniors with the most missed attempts", "Week by week", "Unanswered calls and their")
    assert all(title in out for title in titles)
    assert re.search(r"^connected rate +37\.5%$", out, re.MULTILINE)
    assert re.search(r"^ +1 +Dr Claire Martin +3 +5 +60\.0%$", out, re.MULTILINE)


def test_flask_report_csv_of_one_table(cli):
    result = cli("--from", "2026-03-27", "--to", "2026-03-30", "--csv", "--table", "most_missed")
    assert result.exit_code == 0, result.output
    assert rows(result.output) == [
        ["rank", "senior", "missed", "attempts", "miss rate"],
        ["1", "Dr Claire Martin", "3", "5", "0.6000"],
        ["2", "Pr Anne Chef", "1", "1", "1.0000"],
        ["3", "Dr Hugo Bernard", "1", "3", "0.5000"],
    ]


def test_flask_report_to_is_inclusive(cli):
    def calls(*args: str) -> str:
        result = cli(*args, "--csv", "--table", "overview")
        assert result.exit_code == 0, result.output
        return dict(rows(result.output)[1:])["calls"]

    assert calls("--from", "2026-03-30", "--to", "2026-03-30") == "3"  # Monday: menu, hunting, 23:30
    assert calls("--from", "2026-03-27", "--to", "2026-03-29") == "5"
    assert calls("--from", "2026-03-27", "--to", "2026-03-30", "--specialty", "cardiology") == "2"


def test_flask_report_csv_of_everything_names_each_table(cli):
    result = cli("--from", "2026-03-27", "--to", "2026-03-30", "--csv")
    assert result.exit_code == 0, result.output
    assert [line[2:] for line in result.output.splitlines() if line.startswith("# ")] == [*ALL_TABLES, "urgent_slots"]


def test_flask_report_unanswered_one_row_per_attempt(cli):
    result = cli("--from", "2026-03-28", "--to", "2026-03-28", "--csv", "--table", "unanswered")
    assert result.exit_code == 0, result.output
    table = rows(result.output)
    assert table[0][:3] == ["call", "started (Europe/Paris)", "specialty"]
    assert [(r[1], r[6], r[8], r[10]) for r in table[1:]] == [
        ("2026-03-28 14:00:00", "1", "Dr Claire Martin", "busy"),
        ("2026-03-28 14:00:00", "2", "Dr Hugo Bernard", "not_accepted"),
        ("2026-03-28 14:00:00", "3", "Pr Anne Chef", "declined"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30", "--to", "2026-03-01"], "--from must be a date as YYYY-MM-DD"),
        (["--from", "2026-03-02", "--to", "2026-03-01"], "ends (2026-03-01) before it starts (2026-03-02)"),
        (["--to", "2026-03-01", "--specialty", "dermatology"], "no specialty with code 'dermatology'"),
        (["--table", "everything"], "Invalid value for '--table'"),
    ],
)
def test_flask_report_refuses_bad_arguments(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2 and message in result.output


# -- pages, downloads and JSON ----------------------------------------------------------------------------


def test_the_report_page(get):
    """French by default, inside the web app's layout; the definitions too, folded."""
    response = get(f"/reports/?{QUERY}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page and 'href="/assets/recours.css"' in page and "/reports/assets/reports.css" in page
    assert "Rapport d&#39;appels\u00a0: toute la ligne" in page
    assert "Du vendredi 27 mars 2026 au lundi 30 mars 2026, ces deux jours inclus" in page
    assert "Appels par jour de la semaine et par heure (Europe/Paris)" in page and '<th scope="col">issue</th>' in page
    assert "<td>mis en relation</td>" in page and "<td>lun.</td>" in page and "Rien sur cette période." not in page
    assert page.count("<svg") == 6 and "<title>Appels par jour de la semaine et par heure</title>" in page
    for name in SUMMARY_TABLES:
        assert f'id="table-{name}"' in page and f"/reports/{name}.csv?from=2026-03-27" in page
    assert '<details class="definitions">' in page and "Les définitions de chaque indicateur" in page
    assert "<h3>Centiles</h3>" in page and "h = 1 + (n - 1)·p" in page  # the definitions, on the page, in French
    assert "Percentiles" not in page and 'lang="en"' not in page
    assert "Dr Claire Martin" in page and "37,5\u00a0%" in page and "37.5" not in page  # Babel's French numbers
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_the_report_page_in_english(shared_log):
    client = shared_log.app.test_client()
    client.set_cookie("recours_lang", "en")
    with clock.use_clock(lambda: LATER):
        page = client.get(f"/reports/?{QUERY}").get_data(as_text=True)
    assert '<html lang="en">' in page and "Call report: whole hotline" in page
    assert "Friday 27 March 2026 to Monday 30 March 2026, both days included" in page
    assert "Calls by day of the week and hour (Europe/Paris)" in page and "<h3>Percentiles</h3>" in page


def as_french_excel_reads_it(response) -> list[list[str]]:
    """What a French Excel makes of the file: UTF-8 announced by its byte order mark, ``;`` between cells."""
    data = response.get_data()
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_every_table_downloads_as_csv_that_opens_as_columns_in_french_excel(get):
    for name in ALL_TABLES:
        response = get(f"/reports/{name}.csv?{QUERY}")
        assert response.status_code == 200 and response.mimetype == "text/csv", name
        assert f'filename="recours-{name}-2026-03-27-2026-03-30.csv"' in response.headers["Content-Disposition"]
        table = as_french_excel_reads_it(response)
        assert len(table) >= 2 and len({len(row) for row in table}) == 1 and len(table[0]) > 1, name  # columns, not one
    weeks = as_french_excel_reads_it(get(f"/reports/weeks.csv?{QUERY}"))
    assert weeks[0][:3] == ["semaine du", "jours dans la période", "appels"]
    assert weeks[1] == ["2026-03-23", "3", "5", "2", "0,4000", "2", "0", "2", "6", "4", "0,6667"]  # decimal commas
    outcomes = as_french_excel_reads_it(get(f"/reports/outcomes.csv?{QUERY}"))
    assert outcomes[0] == ["issue", "appels", "taux"] and outcomes[1][0] == "mis en relation"
    heat = as_french_excel_reads_it(get(f"/reports/heat_map.csv?{QUERY}"))
    assert [row[0] for row in heat[1:]] == ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
    unanswered = as_french_excel_reads_it(get(f"/reports/unanswered.csv?{QUERY}"))
    assert unanswered[0][1] == "début (Europe/Paris)" and {row[4] for row in unanswered[1:]} <= {
        "rappel demandé",
        "standard",
        "échec",
        "aucun senior de garde",
        "abandonné pendant la recherche",
    }
    assert get(f"/reports/passwords.csv?{QUERY}").status_code == 404


def test_the_machines_csv_stays_plain_comma_dot_english(cli):
    """``flask report --csv`` is for scripts: no BOM, commas, dots, English headers and codes."""
    result = cli("--from", "2026-03-27", "--to", "2026-03-30", "--csv", "--table", "weeks")
    assert result.exit_code == 0 and not result.output.startswith("\ufeff")
    weeks = rows(result.output)
    assert weeks[0][:3] == ["week starting", "days in period", "calls"]
    assert weeks[1] == ["2026-03-23", "3", "5", "2", "0.4000", "2", "0", "2", "6", "4", "0.6667"]


def test_charts_as_svg_pictures(get):
    for name in ("outcomes", "waiting_times", "heat_map", "weeks", "seniors", "specialty_attempts"):
        response = get(f"/reports/charts/{name}.svg?{QUERY}")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        svg = ElementTree.fromstring(response.get_data())
        assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.find("{http://www.w3.org/2000/svg}title") is not None
    heat = get(f"/reports/charts/heat_map.svg?{QUERY}").get_data(as_text=True)
    assert "ven. 23:00–23:59\u00a0: 1 appel, 1 mis en relation" in heat  # French, one call: no plural
    assert get(f"/reports/charts/pie.svg?{QUERY}").status_code == 404


def test_unanswered_page_opens_each_call_on_its_attempts(get):
    page = get(f"/reports/unanswered?{QUERY}").get_data(as_text=True)
    assert page.count('<details class="call"') == 4
    assert "Appels sans réponse\u00a0: toute la ligne" in page and "3 tentatives" in page and "tentative(s)" not in page
    saturday = page[page.index("samedi 28 mars 2026 14:00:00") :]
    assert saturday.index("Dr Claire Martin") < saturday.index("Dr Hugo Bernard") < saturday.index("Pr Anne Chef")


def test_unanswered_json_is_paged(get):
    first = get(f"/api/reports/unanswered?{QUERY}&limit=3").get_json()
    assert (first["total"], len(first["calls"]), first["offset"]) == (4, 3, 0)
    second = get(first["next"]).get_json()
    assert len(second["calls"]) == 1 and "next" not in second
    assert second["calls"][0]["attempts"][2]["result"] == "declined"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01&to=2026-03-30", "from doit être une date AAAA-MM-JJ, reçu «\u00a02026-13-01\u00a0»"),
        ("from=2026-03-30&to=2026-03-01", "la période se termine (2026-03-01) avant de commencer (2026-03-30)"),
        (f"{QUERY}&specialty=nope", "aucune spécialité de code «\u00a0nope\u00a0»"),
        (f"{QUERY}&department=99", "aucun service «\u00a099\u00a0»"),
        ("from=2000-01-01&to=2026-01-01", "un rapport couvre au plus 1830\u00a0jours"),
    ],
)
def test_bad_parameters_are_a_400_that_says_why(get, query, message):
    """In the reader's language: here the hospital's default, French (the API: Accept-Language)."""
    response = get(f"/api/reports/summary?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert message in response.get_json()["detail"]
    page = get(f"/reports/?{query}")
    assert page.status_code == 400 and message in page.get_data(as_text=True).replace("&#39;", "'")
    limit = get(f"/api/reports/unanswered?{QUERY}&limit=0")
    assert limit.status_code == 400 and "limit doit être un nombre entier de 1 à 500, reçu «\u00a00\u00a0»" in limit.get_json()["detail"]


def test_without_dates_the_last_four_weeks(get):
    body = get("/api/reports/summary").get_json()
    assert (body["scope"]["from"], body["scope"]["to"]) == ("2026-03-10", "2026-04-06")


# -- OpenAPI --------------------------------------------------------------------------------------------------


def conforms(value, schema: dict, path: str = "$") -> list[str]:
    """The subset of JSON Schema the fragment uses: $ref, allOf, type (with null), required, properties,
    items, additionalProperties, enum, const. Returns what does not conform."""
    if "$ref" in schema:
        return conforms(value, SCHEMAS[schema["$ref"].rsplit("/", 1)[1]], path)
    problems = []
    for part in schema.get("allOf", []):
        problems += conforms(value, part, path)
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        python = {"object": dict, "array": list, "string": str, "integer": int, "number": (int, float), "boolean": bool, "null": type(None)}
        if not any(isinstance(value, python[k]) and not (k in ("integer", "number") and isinstance(value, bool)) for k in kinds):
            return [f"{path}: {value!r} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        problems.append(f"{path}: {value!r} != {schema['const']!r}")
    if isinstance(value, dict):
        problems += [f"{path}: missing {key}" for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            if key in schema.get("properties", {}):
                problems += conforms(item, schema["properties"][key], f"{path}.{key}")
            elif "additionalProperties" in schema:
                problems += conforms(item, schema["additionalProperties"], f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            problems += conforms(item, schema["items"], f"{path}[{n}]")
    return problems


def test_the_json_matches_its_openapi_description(get):
    summary = PATHS["/api/reports/summary"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    unanswered = PATHS["/api/reports/unanswered"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert conforms(get(f"/api/reports/summary?{QUERY}").get_json(), summary) == []
    assert conforms(get(f"/api/reports/unanswered?{QUERY}").get_json(), unanswered) == []
    assert conforms({"calls": {"total": "8"}}, summary) != []  # the checker does check
    assert {p["name"] for p in PATHS["/api/reports/summary"]["get"]["parameters"]} == {"from", "to", "specialty", "department"}
    assert all(name.startswith("Report") for name in SCHEMAS)


def test_flask_report_in_french_while_its_csv_stays_plain(shared_log, database_url):
    from app import create_app
    from tests.conftest import settings_for

    french = create_app(settings_for(database_url, REPORTS_WEB="open", CLI_LANGUAGE="fr"))
    try:
        with clock.use_clock(lambda: LATER), french.app_context():
            text = french.test_cli_runner().invoke(args=["report", "--from", "2026-03-27", "--to", "2026-03-30"])
            plain = french.test_cli_runner().invoke(
                args=["report", "--from", "2026-03-27", "--to", "2026-03-30", "--csv", "--table", "most_missed"]
            )
    finally:
        french.extensions["recours.db"].engine.dispose()
    assert text.exit_code == 0, text.output
    out = text.output
    assert out.startswith("Rapport d’appels\u00a0: toute la ligne, du 27 mars 2026 au 30 mars 2026 inclus (Europe/Paris)")
    assert re.search(r"^taux de mise en relation +37,5\u00a0%$", out, re.MULTILINE), out
    assert "Calls by outcome" not in out and "connected rate" not in out
    # Machines read the CSV: the same bytes whatever the reader's language.
    assert rows(plain.output)[:2] == [["rank", "senior", "missed", "attempts", "miss rate"], ["1", "Dr Claire Martin", "3", "5", "0.6000"]]
