"""The web app in a real browser (the harness of tests/web/browser.py: Debian's Chromium through
Playwright, the app served over HTTP in a thread, SQLite): signing in, a head's rota edit, refusals, the
softphone, a phone screen, every page in one language at a time, gaps and conflicts."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from tests.web.browser import new_page, sign_in
from tests.web.conftest import EMAILS, PARIS, PASSWORD, World
from tests.web.telltales import ENGLISH_TELLTALES, FRENCH_TELLTALES, telltales_on


def local_input(at) -> str:
    return at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def test_sign_in_with_the_keyboard_and_sign_out(page, live, shots):
    base, _world = live
    page.goto(f"{base}/board")
    page.wait_for_url(f"{base}/sign-in?next=/board")
    page.screenshot(path=shots / "sign-in.png")
    assert page.evaluate("document.activeElement.id") == "email"  # the form is ready to type in
    page.keyboard.type(EMAILS["head"])
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    page.wait_for_selector(".form-error")
    assert "Adresse e-mail ou mot de passe incorrect." in page.inner_text(".form-error")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")
    page.wait_for_url(f"{base}/board")
    assert page.get_by_role("heading", name="Qui est de garde maintenant").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"  # the first stop skips the menu
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_role("button", name="Déconnexion").click()
    page.wait_for_url(f"{base}/sign-in")
    assert "Déconnexion effectuée." in page.inner_text("main")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session_cookie = cookies.get("recours_session")
    assert session_cookie is None or (session_cookie["httpOnly"] and session_cookie["sameSite"] == "Lax")


def test_a_head_edits_their_rota_and_sees_it_on_the_board(page, live, shots):
    base, world = live
    sign_in(page, base, "head")
    page.screenshot(path=shots / "board.png", full_page=True)
    page.goto(f"{base}/specialties/{world.neuro}/shifts/new")
    now = clock.now()
    page.get_by_label("Senior").select_option(label="Pr Anne Chef")
    page.get_by_label("Niveau").select_option("primary")
    # First the wrong way round: the error shows next to the end field.
    page.get_by_label("Début").fill(local_input(now + timedelta(hours=2)))
    page.get_by_label("Fin").fill(local_input(now - timedelta(hours=1)))
    page.get_by_role("button", name="Enregistrer").click()
    error = page.locator("#ends_at-error")
    assert error.inner_text() == "Doit être après le début."
    assert page.get_by_label("Fin").get_attribute("aria-invalid") == "true"
    page.screenshot(path=shots / "form-error.png", full_page=True)
    page.get_by_label("Début").fill(local_input(now - timedelta(minutes=5)))
    page.get_by_label("Fin").fill(local_input(now + timedelta(hours=3)))
    page.get_by_role("button", name="Enregistrer").click()
    # First what it changes (she becomes primary in place of the senior on turn), then the save.
    assert "Pr Anne Chef" in page.inner_text("section.effect")
    page.get_by_role("button", name="Confirmer et enregistrer").click()
    page.wait_for_url(f"{base}/specialties/{world.neuro}/week*")
    assert "Garde ajoutée." in page.inner_text(".flashes")
    page.screenshot(path=shots / "week.png", full_page=True)
    page.goto(f"{base}/board")
    card = page.locator("article.card", has=page.get_by_role("heading", name="neurologie"))
    assert "Pr Anne Chef" in card.locator(".layer-primary").inner_text()
    page.goto(f"{base}/specialties/{world.neuro}/month")
    page.screenshot(path=shots / "month.png", full_page=True)
    page.goto(f"{base}/audit")
    assert "garde ponctuelle créée" in page.inner_text("main")
    page.screenshot(path=shots / "audit.png", full_page=True)


def test_a_head_is_refused_another_department(page, live):
    base, world = live
    sign_in(page, base, "head")
    response = page.goto(f"{base}/specialties/{world.cardio}/shifts/new")
    assert response.status == 403
    assert page.get_by_role("heading", name="Accès refusé").is_visible()
    page.goto(f"{base}/specialties/{world.cardio}/week")
    assert page.get_by_role("link", name="Nouveau roulement").count() == 0
    page.goto(f"{base}/specialties/{world.neuro}/week")
    assert page.get_by_role("link", name="Nouveau roulement").count() == 1


def test_a_manager_reads_but_cannot_edit(page, live, shots):
    base, world = live
    sign_in(page, base, "manager")
    page.goto(f"{base}/specialties/{world.neuro}/week")
    assert page.get_by_role("link", name="Modifier").count() == 0
    assert page.get_by_role("link", name="Nouvelle garde ponctuelle").count() == 0
    response = page.goto(f"{base}/rotations/{world.rotation_a}/edit")
    assert response.status == 403


def test_a_form_without_its_csrf_token_is_rejected(page, live):
    base, world = live
    sign_in(page, base, "head")
    page.goto(f"{base}/specialties/{world.neuro}/overrides/new")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.get_by_label("Senior remplacé").select_option(label="Dr Hugo Bernard")
    page.get_by_label("Remplacé par").select_option(label="Pr Anne Chef")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Enregistrer").click()
    assert answer.value.status == 400
    assert page.get_by_role("heading", name="Le formulaire a expiré").is_visible()


def test_a_softphone_call_ends_connected(page, live, shots):
    base, _world = live
    sign_in(page, base, "admin")
    page.goto(f"{base}/softphone")
    # The first phone listed is neurology's primary (key 1), whoever holds it now: they accept.
    first = page.locator("label[for=callee_0]").inner_text()
    assert first.endswith("neurologie, principal"), first
    page.locator("#callee_0").select_option("accepts")
    page.get_by_label("Tout autre téléphone").select_option("no-answer")
    page.get_by_role("button", name="Appeler").click()
    outcome = page.locator(".outcome")
    outcome.wait_for()
    assert outcome.inner_text().startswith("Mis en relation avec le 01 99 00 01")
    assert "neurologie" in page.inner_text("section.card").lower()
    page.screenshot(path=shots / "softphone.png", full_page=True)


def test_on_a_phone_screen(browser, live, shots):
    base, world = live
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    page = context.new_page()
    try:
        sign_in(page, base, "senior")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the board scrolls sideways on a phone"
        page.screenshot(path=shots / "phone-board.png", full_page=True)
        page.goto(f"{base}/me")
        assert page.get_by_role("heading", name="Mes gardes du mois à venir").is_visible()
        page.screenshot(path=shots / "phone-my-duty.png", full_page=True)
        # A senior reads their own department's rota (read-only), never another department's.
        assert page.goto(f"{base}/specialties/{world.neuro}/week").status == 200
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the week scrolls sideways on a phone"
        assert page.goto(f"{base}/specialties/{world.cardio}/week").status == 403
    finally:
        context.close()


def test_english_is_one_click_away(page, live):
    base, _world = live
    sign_in(page, base, "manager")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    assert page.get_by_role("heading", name="Who is on duty now").is_visible()
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    assert page.get_by_role("heading", name="Qui est de garde maintenant").is_visible()


def test_gaps_and_conflicts_are_marked_and_audited(page, live, shots):
    """The head ends the rotation in two days; a cardiologist is booked in neurology (by an administrator:
    the head may not); the week shows the gap and the conflict, and the audit log the rotation before and after."""
    base, world = live
    sign_in(page, base, "head")
    day = clock.now().astimezone(PARIS).date() + timedelta(days=2)
    page.goto(f"{base}/rotations/{world.rotation_a}/edit")
    page.get_by_label("En vigueur jusqu'au").fill(f"{day.isoformat()}T08:30")
    page.get_by_role("button", name="Enregistrer").click()
    assert "plus de principal" in page.inner_text(".warnbox")  # the gap it makes, before saving
    page.get_by_role("button", name="Confirmer et enregistrer").click()
    page.wait_for_url(f"{base}/specialties/{world.neuro}/week")

    def book_the_cardiologist() -> None:
        page.goto(f"{base}/specialties/{world.neuro}/shifts/new")
        page.get_by_label("Senior").select_option(label="Dr Sophie Lambert")
        page.get_by_label("Début").fill(f"{day.isoformat()}T10:00")
        page.get_by_label("Fin").fill(f"{day.isoformat()}T12:00")
        page.get_by_role("button", name="Enregistrer").click()

    # She is not a member of the head's department: refused, in French; an administrator may lend her.
    book_the_cardiologist()
    assert "n'est pas membre de vos services" in page.inner_text("main")
    page.get_by_role("button", name="Déconnexion").click()
    sign_in(page, base, "admin")
    book_the_cardiologist()
    assert "pour deux spécialités à la fois" in page.inner_text(".warnbox")  # the double booking, before saving
    page.get_by_role("button", name="Confirmer et enregistrer").click()
    page.wait_for_url(f"{base}/specialties/{world.neuro}/week*")
    page.goto(f"{base}/specialties/{world.neuro}/week?start={day.isoformat()}")
    assert page.locator(".seg.gap").count() >= 1
    assert page.locator(".seg.conflict").count() >= 1
    assert "aussi de garde pour une autre spécialité" in page.inner_text("main")
    page.screenshot(path=shots / "week-gaps-conflicts.png", full_page=True)
    page.goto(f"{base}/audit?kind=rotation")
    page.get_by_role("link", name="Détails").first.click()
    assert "en vigueur jusqu'au" in page.inner_text("dl.diff")
    page.screenshot(path=shots / "audit-detail.png", full_page=True)


# -- every page in French, then in English -------------------------------------------------------------------


def _pages(world: World) -> dict[str, list[str]]:
    """Every page of the web app and the reports, by the role that sees it."""
    admin = [
        "/board", "/departments", "/departments/new", f"/departments/{world.dept_a}/edit",
        f"/departments/{world.dept_a}/specialties/new", f"/specialties/{world.neuro}/edit",
        f"/specialties/{world.neuro}/week", f"/specialties/{world.neuro}/month", f"/specialties/{world.neuro}/rotations/new",
        f"/specialties/{world.neuro}/shifts/new", f"/specialties/{world.neuro}/overrides/new",
        f"/rotations/{world.rotation_a}/edit", f"/shifts/{world.shift_a}/edit", f"/overrides/{world.override_a}/edit",
        f"/leave/{world.leave_a}/edit", "/seniors", "/seniors/new", f"/seniors/{world.senior_a}/edit",
        f"/seniors/{world.senior_a}/leave/new", "/gps", "/gps/new", f"/gps/{world.gp}/edit", "/audit",
        f"/audit/{world.audit_a}", "/users", "/users/new", f"/users/{world.users['head']}/edit", "/softphone",
        "/account", "/reports/", "/reports/unanswered", "/no/such/page",
        "/calls", f"/calls/{world.call_a}", "/callbacks", "/callbacks?state=all", "/board/live",
    ]  # fmt: skip
    senior = ["/me", "/me/leave/new", "/me/phones", "/me/swaps/new", "/me/calendar"]
    return {"admin": admin, "head": ["/swaps"], "senior": senior}


def _switch_language(page, base: str, language: str) -> None:
    page.goto(f"{base}/board")
    page.select_option("#lang-choice", language)
    page.locator("form[action='/language'] button").click()
    page.wait_for_url(f"{base}/board")


def test_every_page_speaks_only_french_then_only_english(browser, live):
    base, world = live
    found: dict[tuple[str, str, str], list[str]] = {}
    for role, urls in _pages(world).items():
        page = new_page(browser, {"width": 1280, "height": 860})
        context = page.context
        sign_in(page, base, role)
        try:
            for language, telltales in (("fr", ENGLISH_TELLTALES), ("en", FRENCH_TELLTALES)):
                _switch_language(page, base, language)
                for url in urls:
                    response = page.goto(base + url)
                    assert response is not None and response.status in (200, 404), (url, response and response.status)
                    assert page.evaluate("document.documentElement.lang") == language, url
                    if words := telltales_on(page, telltales):
                        found[(role, language, url)] = words
        finally:
            _switch_language(page, base, "fr")  # the other tests of this module read French
            context.close()
    assert found == {}
