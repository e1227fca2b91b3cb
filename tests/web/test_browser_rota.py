"""Rota changes in Chromium (the harness of tests/web/browser.py: Debian's Chromium through Playwright, the app
served over HTTP in a thread, SQLite): a head approving a swap sees first what it does to coverage — here
the backup it takes away, by name —; a senior asks for a swap by picking duties on their specialty's rota;
the pages have no critical or serious accessibility violation (axe-core) on a desktop (1366 px) and on a
phone (390 px).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from sqlalchemy import select

from core import clock
from core.actor import SYSTEM
from rota import operations as rota
from rota.models import Layer, Senior
from rota.queries import on_duty
from tests.web.browser import DESKTOP, PHONE, axe_violations, scrolls_sideways, sign_in
from tests.web.conftest import PARIS


def text(page, selector: str = "main") -> str:
    return page.inner_text(selector).replace("\u00a0", " ").replace("\u202f", " ")


def _day_after_tomorrow(hour: int) -> datetime:
    day = clock.now().astimezone(PARIS).date() + timedelta(days=2)
    return datetime.combine(day, time(hour), PARIS)


def test_a_swap_preview_names_the_backup_it_takes_away(page, live, shots):
    """Neurology's primary of a morning gives it to the colleague who is that morning's backup; both
    agreed. The head's preview says the slot loses its backup, naming them, before anything is saved."""
    starts, ends = _day_after_tomorrow(10), _day_after_tomorrow(12)
    neuro = live.world.neuro

    def swap_with_the_backup(session):
        primary = on_duty(session, neuro, starts).decision.layer(Layer.PRIMARY)[0].senior_id
        backup = next(s for s in (live.world.senior_a, live.world.senior_a2) if s != primary)
        rota.add_shift(session, SYSTEM, neuro, backup, "backup", starts, ends)
        swap = rota.request_swap(session, SYSTEM, neuro, primary, backup, starts, ends)
        rota.accept_swap(session, SYSTEM, swap.id, backup, clock.now())
        return swap.id, session.get(Senior, primary).full_name, session.get(Senior, backup).full_name

    swap_id, primary_name, backup_name = live.arrange(swap_with_the_backup)
    sign_in(page, live.base, "head")
    page.goto(f"{live.base}/swaps")
    page.locator(f"a[href='/swaps/{swap_id}/approve']").click()
    page.wait_for_url(f"{live.base}/swaps/{swap_id}/approve")
    assert text(page, "h1") == "Approuver cet échange ?"
    warning = text(page, ".warnbox")
    assert f"plus de secours (c’était {backup_name})" in warning, warning
    assert "10:00" in warning and "12:00" in warning  # in the department's local time
    assert f"principal : {primary_name} → {backup_name}" in text(page, ".effect")
    page.screenshot(path=shots / "swap-preview.png", full_page=True)
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert not scrolls_sideways(page), "the preview scrolls sideways on a phone"
    assert axe_violations(page) == []
    page.screenshot(path=shots / "phone-swap-preview.png", full_page=True)
    # Nothing was saved by looking; confirming saves it.
    assert live.arrange(lambda session: session.get(rota.SwapRequest, swap_id).status) == rota.SwapStatus.ACCEPTED
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(f"{live.base}/swaps")
    assert "Échange validé : il est en vigueur." in text(page, ".flashes")
    assert live.arrange(lambda session: session.get(rota.SwapRequest, swap_id).status) == rota.SwapStatus.APPROVED


def _axe_at_both_widths(page) -> None:
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        assert axe_violations(page) == [], (viewport["width"], page.url)


def test_leave_and_deletion_previews_pass_axe_and_save_only_when_confirmed(page, live):
    """A head enters a neurologist's leave: the preview says who stands in; "back to the form" keeps what
    was typed; confirming saves it. Deleting a shift first shows what goes. No serious axe finding."""
    world = live.world
    sign_in(page, live.base, "head")
    page.goto(f"{live.base}/seniors/{world.senior_a}/leave/new")
    page.get_by_label("Début").fill(_day_after_tomorrow(8).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Fin").fill(_day_after_tomorrow(18).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Motif").fill("congrès")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("heading", name="Ce que cela change").wait_for()
    assert "Dr Claire Martin" in text(page, ".effect")
    _axe_at_both_widths(page)
    page.get_by_role("button", name="Revenir au formulaire").click()
    assert page.get_by_label("Motif").input_value() == "congrès"
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("button", name="Confirmer et enregistrer").click()
    page.wait_for_url(f"{live.base}/seniors/{world.senior_a}/edit")
    assert "Absence ajoutée." in text(page, ".flashes")

    page.goto(f"{live.base}/shifts/{world.shift_a}/delete")
    assert "Ce que cela change" in text(page)
    _axe_at_both_widths(page)


def test_a_senior_asks_for_a_swap_from_the_calendar(page, live, shots):
    """Dr Claire Martin opens her specialty's rota from her page (read-only: no edit link), picks her
    colleague's duty of next Wednesday, then one of her own duties on the form that opens filled in, and
    sends: the swap is asked of that colleague for exactly those two stretches. Only her department's
    seniors are offered as colleagues."""
    world = live.world
    sign_in(page, live.base, "senior")
    page.goto(f"{live.base}/me")
    page.get_by_role("link", name="neurologie", exact=True).click()
    page.wait_for_url(f"{live.base}/specialties/{world.neuro}/week")
    assert page.get_by_role("link", name="Modifier").count() == 0
    assert page.get_by_role("link", name="Nouvelle garde ponctuelle").count() == 0
    assert "Lecture seule." in text(page)
    _axe_at_both_widths(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("link", name="Semaine suivante →").click()
    page.screenshot(path=shots / "senior-week.png", full_page=True)
    wednesday = page.locator("tr", has=page.get_by_role("rowheader", name="Principal")).locator("td[data-day^='mercredi']")
    wednesday.get_by_role("link", name=re.compile(r"^Dr Hugo Bernard — lui demander un échange")).click()
    page.wait_for_url(f"{live.base}/me/swaps/new?*")
    assert page.get_by_label("Spécialité", exact=True).input_value() == str(world.neuro)
    assert page.get_by_label("Collègue sollicité").input_value() == str(world.senior_a2)
    offered = page.get_by_label("Collègue sollicité").locator("option").all_inner_texts()
    assert sorted(offered) == ["Dr Hugo Bernard", "Pr Anne Chef", "—"], offered  # her department only
    taken = page.get_by_label("En retour, je prends la sienne du").input_value()
    assert taken.endswith("T00:00"), taken  # the Wednesday picked, from midnight
    _axe_at_both_widths(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator("#picks-title + ul a").first.click()
    assert page.get_by_label("Collègue sollicité").input_value() == str(world.senior_a2)  # kept
    assert page.get_by_label("En retour, je prends la sienne du").input_value() == taken
    given = page.get_by_label("Ma garde du").input_value()
    assert given, "her own duty is filled in"
    page.screenshot(path=shots / "senior-swap-form.png", full_page=True)
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_url(f"{live.base}/me")
    assert "Échange demandé : votre collègue le voit sur sa page." in text(page, ".flashes")

    def the_swap(session):
        swap = session.scalars(
            select(rota.SwapRequest).where(rota.SwapRequest.requester_id == world.senior_a).order_by(rota.SwapRequest.id.desc())
        ).first()
        return swap.counterpart_id, swap.status, swap.return_starts_at.astimezone(PARIS), swap.starts_at.astimezone(PARIS)

    counterpart, status, return_start, start = live.arrange(the_swap)
    assert (counterpart, status) == (world.senior_a2, rota.SwapStatus.REQUESTED)
    assert return_start.strftime("%Y-%m-%dT%H:%M") == taken and return_start.weekday() == 2
    assert start.strftime("%Y-%m-%dT%H:%M") == given
