"""The secretariat's urgent slots desk in Chromium, in French: the booked slot with the GP's name and the
code, confirmed with one click when the patient calls; no critical or serious accessibility violation
(axe-core) on the desk and on a head's urgent slots page, on a desktop and on a phone screen."""

from __future__ import annotations

import pytest

from tests.web.conftest import EMAILS, PASSWORD
from tests.web.test_browser import browser, live  # noqa: F401 - fixtures of the browser harness

SERIOUS = ("critical", "serious")


def sign_in(page, base: str, role: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Adresse e-mail").fill(EMAILS[role])
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def desk_page(browser, live):  # noqa: F811 - the harness's fixtures
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def test_the_secretariat_confirms_a_code_on_its_desk_and_the_page_passes_axe(desk_page, live):  # noqa: F811
    base, world = live
    page = desk_page
    sign_in(page, base, "secretariat")
    page.wait_for_url(f"{base}/urgent-slots")
    assert page.locator("h1").inner_text() == "Créneaux urgents"
    row = page.locator("tr", has_text=world.urgent_code)
    assert "Dr Alice Renaud" in row.inner_text() and "réservé" in row.inner_text()
    assert serious_violations(page) == []
    row.get_by_role("button", name="Le patient a appelé avec le code").click()
    page.wait_for_url(f"{base}/urgent-slots")
    assert f"Code {world.urgent_code} confirmé" in page.locator(".flashes").inner_text()
    assert "confirmé : le patient a appelé" in page.locator("tr", has_text=world.urgent_code).inner_text().replace("\u00a0", " ")
    assert serious_violations(page) == []
    # A phone screen: the same page, still without serious violations.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert serious_violations(page) == []


def test_a_heads_urgent_slots_page_passes_axe_and_explains_a_bad_time(desk_page, live):  # noqa: F811
    base, world = live
    page = desk_page
    sign_in(page, base, "head")
    page.goto(f"{base}/specialties/{world.neuro}/urgent-slots")
    assert serious_violations(page) == []
    page.get_by_label("Heures de début").fill("11h30, 25:00")
    page.get_by_label("Lieu (où va le patient)").first.fill("Salle 2")
    page.get_by_role("button", name="Publier").click()
    error = page.locator(".field.invalid .error").first.inner_text()
    assert "Les heures s'écrivent avec deux points" in error.replace("\u00a0", " ")
    assert serious_violations(page) == []
