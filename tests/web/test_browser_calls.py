"""The call log, the callback requests and the live board in Chromium (the harness of tests/web/browser.py:
Debian's Chromium through Playwright, the app served over HTTP in a thread, SQLite).

The live board is watched while a simulated call goes through the real webhooks over HTTP, in real
time: the board shows the senior ringing, then the conversation, then nothing — without a reload.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core import clock
from simulator import Accepts, HttpTransport, Key, NoAnswer, Simulator
from tests.conftest import AUTH_TOKEN, HOTLINE
from tests.web.browser import axe_violations, new_page, scrolls_sideways, sign_in

PRIMARY = "+33199000101"  # Dr Claire Martin, neurology's primary this week in the test world


@pytest.fixture(scope="module")
def live_settings() -> dict[str, str]:
    """The board polls every second, so a call shows within the test's patience."""
    return {"BOARD_POLL_SECONDS": "1", "BOARD_STREAM_SECONDS": "30"}


def test_the_call_log_opens_a_calls_attempts(page, live, shots: Path):
    base, world = live
    sign_in(page, base, "manager")
    page.get_by_role("link", name="Appels", exact=True).click()
    page.wait_for_url(f"{base}/calls")
    assert "2 appels" in page.inner_text(".lead")
    page.screenshot(path=shots / "call-log.png", full_page=True)
    page.locator(f"a[href='/calls/{world.call_a}']").click()
    page.wait_for_url(f"{base}/calls/{world.call_a}")
    attempts = page.locator("#attempts")
    assert "Dr Claire Martin" in attempts.inner_text() and "pas de réponse" in attempts.inner_text()
    timeline = page.inner_text("#timeline")
    assert timeline.index("Appel de Dr Claire Martin (principal)") < timeline.index("On propose un rappel au médecin")
    page.screenshot(path=shots / "call-timeline.png", full_page=True)


def test_a_callback_marked_done_from_the_web(page, live, shots: Path):
    base, world = live
    sign_in(page, base, "head")
    page.get_by_role("link", name="Rappels", exact=True).click()
    page.wait_for_url(f"{base}/callbacks")
    card = page.locator(f"#request-{world.request_a}")
    assert "Dr Alice Renaud" in card.inner_text() and "personne pour l'instant" in card.inner_text()
    assert card.locator("audio").count() == 1
    page.screenshot(path=shots / "callbacks.png", full_page=True)
    card.get_by_role("button", name="Marquer comme faite").click()
    page.wait_for_selector(".flash.success")
    assert "Demande de rappel marquée comme faite." in page.inner_text(".flashes")
    assert page.locator(f"#request-{world.request_a}").count() == 0
    page.get_by_role("link", name="Faites").click()
    assert "marquée comme faite par Pr Anne Chef" in page.locator(f"#request-{world.request_a}").inner_text()


def test_the_live_board_follows_a_simulated_call_without_a_reload(page, live, shots: Path):
    base, _world = live
    sign_in(page, base, "manager")
    page.goto(f"{base}/board/live")
    # Locator assertions, not wait_for_function: its polling evaluates a string, which the pages' CSP refuses.
    expect(page.locator("#live-status")).to_have_text(re.compile(r"^En direct"), timeout=30_000)
    before = page.inner_text("[data-figure=answer-rate]")
    page.evaluate("window.sameDocument = true")
    sim = Simulator(HttpTransport(base), public_base_url=base, auth_token=AUTH_TOKEN, start=clock.now(), realtime=True)
    outcome: list = []
    call = threading.Thread(
        target=lambda: outcome.append(
            sim.call(to=HOTLINE, gp=[Key("1", after=0.5)], callees={PRIMARY: Accepts(after=3, talk=5)}, default_callee=NoAnswer())
        )
    )
    call.start()
    try:
        page.wait_for_selector("#calls-now >> text=appel de Dr Claire Martin (principal)", timeout=20_000)
        page.screenshot(path=shots / "live-board-ringing.png", full_page=True)
        page.wait_for_selector("#calls-now >> text=en ligne avec Dr Claire Martin", timeout=30_000)
        page.screenshot(path=shots / "live-board.png", full_page=True)
        page.wait_for_selector("#calls-now >> text=Aucun appel en ce moment.", timeout=30_000)
    finally:
        call.join(60)
    assert outcome and outcome[0].errors == [], outcome and outcome[0].transcript()
    assert page.evaluate("window.sameDocument") is True  # updated in place, never reloaded
    assert int(page.get_attribute("#live-board", "data-updates")) >= 3
    expect(page.locator("[data-figure=answer-rate]")).not_to_have_text(before, timeout=30_000)
    assert page.inner_text("[data-figure=answer-rate]").replace("\u00a0", " ") == "33 %"


PAGES = {
    "manager": ["/calls", "/calls/{call_a}", "/callbacks?state=all", "/board/live", "/reports/"],
    "senior": ["/callbacks"],
}


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_axe_finds_nothing_critical_or_serious_and_phones_do_not_scroll_sideways(browser, live, shots: Path, width, height):
    base, world = live
    found: dict[str, list[str]] = {}
    for role, paths in PAGES.items():
        page = new_page(browser, {"width": width, "height": height}, is_mobile=width < 500)
        context = page.context
        try:
            sign_in(page, base, role)
            for path in paths:
                url = base + path.format(call_a=world.call_a)
                assert page.goto(url).status == 200, url
                if findings := axe_violations(page):
                    found[f"{width}px {role} {path}"] = findings
                if width < 500 and scrolls_sideways(page):
                    found.setdefault(f"{width}px {role} {path}", []).append("the page scrolls sideways")
                if path == "/reports/":
                    # Chart text as read on the screen (the heat map's and the trend's): never below 9 px.
                    smallest = page.evaluate(
                        "Math.min(...[...document.querySelectorAll('figure svg text')].map(t => t.getBoundingClientRect().height))"
                    )
                    if smallest < 9:
                        found.setdefault(f"{width}px {role} {path}", []).append(f"chart text {smallest:.1f} px high")
                if width < 500 and path in ("/board/live", "/calls/{call_a}", "/callbacks", "/reports/"):
                    name = {
                        "/board/live": "phone-live-board",
                        "/calls/{call_a}": "phone-call-timeline",
                        "/callbacks": "phone-callbacks",
                        "/reports/": "phone-reports",
                    }[path]
                    page.screenshot(path=shots / f"{name}.png", full_page=True)
            # The check itself works: a field without a label, added to the last page, is found.
            page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text>')")
            assert any(f.startswith("label (critical)") for f in axe_violations(page))
        finally:
            context.close()
    assert found == {}
