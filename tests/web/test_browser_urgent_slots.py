"""The secretariat's urgent slots desk in Chromium, in French: the booked slot with the GP's name and the
code, confirmed with one click when the patient calls; no critical or serious accessibility violation
(axe-core) on the desk and on a head's urgent slots page, on a desktop and on a phone screen."""

from __future__ import annotations

from tests.web.browser import axe_violations, sign_in


def test_the_secretariat_confirms_a_code_on_its_desk_and_the_page_passes_axe(page, live):
    base, world = live
    sign_in(page, base, "secretariat")
    page.wait_for_url(f"{base}/urgent-slots")
    assert page.locator("h1").inner_text() == "Créneaux urgents"
    row = page.locator("tr", has_text=world.urgent_code)
    assert "Dr Alice Renaud" in row.inner_text() and "réservé" in row.inner_text()
    assert axe_violations(page) == []
    row.get_by_role("button", name="Le patient a appelé avec le code").click()
    page.wait_for_url(f"{base}/urgent-slots")
    assert f"Code {world.urgent_code} confirmé" in page.locator(".flashes").inner_text()
    assert "confirmé : le patient a appelé" in page.locator("tr", has_text=world.urgent_code).inner_text().replace("\u00a0", " ")
    assert axe_violations(page) == []
    # A phone screen: the same page, still without serious violations.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert axe_violations(page) == []


def test_a_heads_urgent_slots_page_passes_axe_and_explains_a_bad_time(page, live):
    base, world = live
    sign_in(page, base, "head")
    page.goto(f"{base}/specialties/{world.neuro}/urgent-slots")
    assert axe_violations(page) == []
    page.get_by_label("Heures de début").fill("11h30, 25:00")
    page.get_by_label("Lieu (où va le patient)").first.fill("Salle 2")
    page.get_by_role("button", name="Publier").click()
    error = page.locator(".field.invalid .error").first.inner_text()
    assert "Les heures s'écrivent avec deux points" in error.replace("\u00a0", " ")
    assert axe_violations(page) == []
