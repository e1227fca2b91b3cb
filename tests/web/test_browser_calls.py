"""The call log, the callback requests and the live board in Chromium (the harness of test_browser.py:
Debian's Chromium through Playwright, the app served over HTTP in a thread, SQLite).

The live board is watched while a simulated call goes through the real webhooks over HTTP, in real
time: the board shows the senior ringing, then the conversation, then nothing — without a reload.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import create_app
from core import clock, db, migrations
from simulator import Accepts, HttpTransport, Key, NoAnswer, Simulator
from tests.conftest import AUTH_TOKEN, HOTLINE, settings_for
from tests.web.conftest import World, build_world
from tests.web.test_browser import _free_port, browser, shots, sign_in  # noqa: F401 - fixtures

PRIMARY = "+33199000101"  # Dr Claire Martin, neurology's primary this week in the test world


@pytest.fixture(scope="module")
def live(tmp_path_factory, browser) -> Iterator[tuple[str, World]]:  # noqa: F811 - the fixture above
    from argon2 import PasswordHasher
    from werkzeug.serving import make_server

    from accounts import passwords

    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-calls') / 'recours.sqlite3'}"
    app = create_app(settings_for(url, PUBLIC_BASE_URL=base, BOARD_POLL_SECONDS="1", BOARD_STREAM_SECONDS="30"))
    with app.app_context():
        migrations.upgrade(db.database().engine)
        world = build_world(db.session(), clock.now())
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, world
    finally:
        server.shutdown()
        thread.join(5)
        app.extensions["recours.db"].engine.dispose()
        passwords.use_hasher(previous)


@pytest.fixture
def page(browser, live):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def test_the_call_log_opens_a_calls_attempts(page, live, shots: Path):  # noqa: F811
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


def test_a_callback_marked_done_from_the_web(page, live, shots: Path):  # noqa: F811
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


def test_the_live_board_follows_a_simulated_call_without_a_reload(page, live, shots: Path):  # noqa: F811
    base, _world = live
    sign_in(page, base, "manager")
    page.goto(f"{base}/board/live")
    page.wait_for_function("document.getElementById('live-status').textContent.startsWith('En direct')")
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
    page.wait_for_function(f"document.querySelector('[data-figure=answer-rate]').textContent !== {before!r}")
    assert page.inner_text("[data-figure=answer-rate]").replace("\u00a0", " ") == "33 %"


PAGES = {
    "manager": ["/calls", "/calls/{call_a}", "/callbacks?state=all", "/board/live", "/reports/"],
    "senior": ["/callbacks"],
}


def _serious_findings(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core" and results.response["passes"], "axe did not run"
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} {v['nodes'][0].get('failureSummary', '')[:160]}"
        for v in results.response["violations"]
        if v["impact"] in ("critical", "serious")
    ]


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_axe_finds_nothing_critical_or_serious_and_phones_do_not_scroll_sideways(browser, live, shots: Path, width, height):  # noqa: F811
    base, world = live
    found: dict[str, list[str]] = {}
    for role, paths in PAGES.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR", is_mobile=width < 500)
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            sign_in(page, base, role)
            for path in paths:
                url = base + path.format(call_a=world.call_a)
                assert page.goto(url).status == 200, url
                if findings := _serious_findings(page):
                    found[f"{width}px {role} {path}"] = findings
                if width < 500 and not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"):
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
            assert any(f.startswith("label (critical)") for f in _serious_findings(page))
        finally:
            context.close()
    assert found == {}
