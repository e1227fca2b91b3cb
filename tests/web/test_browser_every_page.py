"""Every page of the web app, as each role that signs in meets it, on the seeded demo (``flask demo seed``'s
hospital and a week of its calls): no critical or serious accessibility violation (axe-core) at 1366 px
and at 390 px, in French (the page's language, and no English word of ours), and no page that scrolls
sideways on a phone.

The pages are found in Flask's URL map, not listed by hand: a new page is checked the day it is added.
Its URL parameters are filled with real ids of the demo (all in neurology, the department of the head,
the senior and the secretariat signed in). Left out, with the reason: the API and webhooks (JSON and
TwiML, not pages), files (assets, CSV, SVG charts, iCal feeds, recordings, voice prompts), the board's
event stream, health checks, the home redirect. A page a role may not open is checked as the refusal
page that role sees. axe runs once on pages of the same structure (see STRUCTURE); the language checks
run on every page. One Chromium tab, reused, a fresh one per role.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.web.browser import DESKTOP, PHONE, axe_violations, new_page, scrolls_sideways, sign_in
from tests.web.telltales import ENGLISH_TELLTALES, telltales_on

PASSWORD = "a long enough demo password"
ROLES = ("admin", "manager", "head", "senior", "secretariat")
EMAILS = {role: f"{role}@axe.recours.example.org" for role in ROLES}
DEMO_DAYS = 7

# Rules (or their prefixes) whose answers are not pages for a person.
NOT_PAGES = (
    "/api/",  # JSON for programs (OpenAPI)
    "/webhooks/",  # Twilio's TwiML
    "/assets/",
    "/static/",
    "/reports/assets/",
    "/reports/charts/",  # SVG images inside the reports page, checked there
    "/board/live/events",  # the board's server-sent events
    "/prompts/",  # voice prompts (audio)
    "/healthz",
    "/readyz",
)
NOT_PAGE_SUFFIXES = (".csv", ".ics", "/recording", ".svg", ".json")
# "/" only redirects to the board (checked itself).
SKIPPED_ENDPOINTS = {"home"}


def _seed_the_demo(session, now) -> dict[str, Any]:
    """The demo (``demo.seed`` and ``demo.calls``, as ``flask demo seed`` makes it, with a week of calls),
    one account per role with a known password, and what the demo does not have yet but pages show: a
    single shift, an override, leave, a swap waiting for approval, urgent slots. Returns the ids that fill
    the URLs."""
    from flask import current_app

    from accounts.operations import create_user
    from audit.models import AuditEntry, AuditEntryDepartment
    from calllog.conversation import page_token
    from calllog.models import Attempt, AttemptResult, Call
    from core.actor import SYSTEM
    from demo.calls import seed_calls
    from demo.seed import PARIS, seed_demo
    from directory.models import GeneralPractitioner
    from reports.summaries import summarise_sealed
    from rota import operations as rota
    from rota.models import Layer, Rotation, Senior, Specialty
    from rota.queries import on_duty
    from slots import operations as slots

    settings = current_app.config["SETTINGS"]
    seed_demo(session, now.astimezone(PARIS).date(), history_days=DEMO_DAYS + 7)
    seed_calls(session, settings, now, days=DEMO_DAYS)
    neurology = session.scalars(select(Specialty).where(Specialty.code == "neurology")).one()
    department = neurology.department
    seniors = {s.full_name: s.id for s in session.scalars(select(Senior))}
    head, senior, colleague = seniors["Pr Marie Lefèvre"], seniors["Dr Claire Martin"], seniors["Dr Hugo Bernard"]
    users = {}
    for role in ROLES:
        user = create_user(
            session,
            SYSTEM,
            email=EMAILS[role],
            full_name={"head": "Pr Marie Lefèvre", "senior": "Dr Claire Martin"}.get(role, f"Compte {role}"),
            role=role,
            password=PASSWORD,
            senior_id={"head": head, "senior": senior}.get(role),
            language="fr",
            departments=[department.id] if role == "secretariat" else None,
            at=now,
        )
        users[role] = user.id
    soon = now + timedelta(days=3)
    shift = rota.add_shift(session, SYSTEM, neurology.id, colleague, "backup", soon, soon + timedelta(hours=4))
    override = rota.add_override(session, SYSTEM, neurology.id, colleague, head, now + timedelta(days=10), now + timedelta(days=11))
    leave = rota.add_leave(session, SYSTEM, senior, now + timedelta(days=20), now + timedelta(days=21), "congrès")
    # A swap between two neurologists, agreed by the counterpart: the head's approval page.
    stretch = (now + timedelta(days=2), now + timedelta(days=2, hours=2))
    primary = on_duty(session, neurology.id, stretch[0]).decision.layer(Layer.PRIMARY)[0].senior_id
    counterpart = next(s for s in (senior, colleague, head) if s != primary)
    swap = rota.request_swap(session, SYSTEM, neurology.id, primary, counterpart, *stretch, at=now)
    rota.accept_swap(session, SYSTEM, swap.id, counterpart, now)
    pattern = slots.add_pattern(
        session, SYSTEM, neurology.id, slots.PatternSettings(weekdays="12345", times="11:30", place="Salle 1"), at=now
    )
    gp = session.scalars(select(GeneralPractitioner).order_by(GeneralPractitioner.id)).first()
    free = slots.next_free_slot(session, neurology.id, now)
    slots.book_slot(session, SYSTEM, free.id, senior_id=None, gp_e164=gp.phones[0].e164, gp_id=gp.id, at=now)
    # A neurology call a senior took, with its attempts and timeline (and its "what came of it" link).
    taken = session.execute(
        select(Attempt.call_id, Attempt.senior_id)
        .join(Call, Call.id == Attempt.call_id)
        .where(Call.specialty_id == neurology.id, Attempt.result == AttemptResult.ACCEPTED)
        .order_by(Call.started_at.desc())
    ).first()
    entry = session.scalar(
        select(AuditEntry.id)
        .join(AuditEntryDepartment)
        .where(AuditEntryDepartment.department_id == department.id, AuditEntry.action == "rotation.create")
        .limit(1)
    )
    session.commit()
    summarise_sealed(session, now)
    session.commit()
    return {
        "department_id": department.id,
        "specialty_id": neurology.id,
        "senior_id": senior,
        "rotation_id": session.scalar(select(Rotation.id).where(Rotation.specialty_id == neurology.id).limit(1)),
        "shift_id": shift.id,
        "override_id": override.id,
        "leave_id": leave.id,
        "swap_id": swap.id,
        "pattern_id": pattern.id,
        "gp_id": gp.id,
        "call_id": taken.call_id,
        "entry_id": entry,
        "user_id": users["senior"],
        "token": page_token(settings, taken.call_id, taken.senior_id),
    }


@pytest.fixture(scope="module")
def live_filling():
    return _seed_the_demo


def _pages(app, ids: dict[str, Any]) -> list[str]:
    """Every GET page of the URL map, its parameters filled with the demo's ids."""
    urls, unfilled = [], []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS or rule.endpoint.endswith("static"):
            continue
        if path.startswith(NOT_PAGES) or path.endswith(NOT_PAGE_SUFFIXES) or rule.endpoint.startswith(("api.", "health.", "webhooks.")):
            continue
        missing = [name for name in rule.arguments if ids.get(name) is None]
        if missing:
            unfilled.append(f"{path} ({', '.join(missing)})")
            continue
        urls.append(adapter.build(rule.endpoint, {name: ids[name] for name in rule.arguments}, method="GET"))
    assert unfilled == [], f"pages whose parameters the demo does not fill: {unfilled}"
    return sorted(set(urls))


# What axe's findings depend on: the elements, their roles, classes, styles and kinds, and whether their
# text and names are empty — not the words, numbers, links or tokens. Two pages alike in it (the call log
# of a head and of a manager, two refusals) get the same findings: axe runs once on them. The page's frame (menu,
# header) and its <main> are compared apart, so a menu of another shape is checked where it first shows.
STRUCTURE = """() => {
    const kept = ['class', 'role', 'type', 'style', 'scope', 'lang', 'for', 'hidden', 'disabled', 'tabindex'];
    const shape = (node) => {
        if (node.nodeType === Node.TEXT_NODE) return node.nodeValue.trim() ? 't' : '';
        if (node.nodeType !== Node.ELEMENT_NODE) return '';
        const attributes = [...node.attributes].map(a => kept.includes(a.name) ? `${a.name}=${a.value.replace(/[0-9]+/g, '0')}`
            : a.name.startsWith('aria-') || a.name === 'alt' || a.name === 'title' ? `${a.name}${a.value.trim() ? '+' : '-'}` : a.name);
        // Rows, items and options alike are one: a list of 30 calls is shaped as a list of 3.
        const children = [...node.childNodes].map(shape).filter((c, i, all) => c && c !== all[i - 1]);
        return `<${node.tagName} ${attributes.sort().join(' ')}>${children.join('')}</>`;
    };
    const main = document.querySelector('main');
    const frame = document.body.cloneNode(true);
    frame.querySelector('main')?.replaceChildren();
    // The menu marks the page it is on: a menu is the same menu on each of its pages.
    frame.querySelectorAll('[aria-current]').forEach(e => e.removeAttribute('aria-current'));
    return [main ? shape(main) : '', shape(frame)];
}"""


def _check(page, where: str, found: dict[str, list[str]], checked: set[tuple[str, str]] | None = None) -> None:
    """French (the page's language, no English word), then axe at both widths (the page re-laid out, not
    reloaded) and no sideways scroll on a phone — unless a page of the same structure was checked."""
    problems = []
    if (lang := page.evaluate("document.documentElement.lang")) != "fr":
        problems.append(f"page language {lang!r}")
    if words := telltales_on(page, ENGLISH_TELLTALES):
        problems.append(f"English words: {words}")
    main, frame = page.evaluate(STRUCTURE)
    if checked is not None and ("main", main) in checked and ("frame", frame) in checked:
        viewports = ()
    else:
        viewports = (DESKTOP, PHONE)
        if checked is not None:
            checked.update({("main", main), ("frame", frame)})
    for viewport in viewports:
        page.set_viewport_size(viewport)
        problems += [f"{viewport['width']} px: {v}" for v in axe_violations(page)]
        if viewport is PHONE and scrolls_sideways(page):
            problems.append("390 px: the page scrolls sideways")
    page.set_viewport_size(DESKTOP)
    if problems:
        found[where] = problems


def test_every_page_of_every_role_passes_axe_at_1366_and_390_px_in_french(browser, live):
    ids = live.world
    urls = _pages(live.app, ids)
    assert len(urls) > 40, urls  # the discovery found the app's pages
    found: dict[str, list[str]] = {}
    checked: set[tuple[str, str]] = set()
    page = new_page(browser, DESKTOP)
    try:
        page.goto(f"{live.base}/sign-in")
        _check(page, "anonymous /sign-in", found, checked)
        page.goto(f"{live.base}/outcome/{ids['token']}")  # the senior's one-tap page, opened from an SMS
        _check(page, f"anonymous /outcome/{ids['token'][:8]}…", found, checked)
        for role in ROLES:
            # A context of its own per role: the board's polling would set the previous role's cookie again.
            page.context.close()
            page = new_page(browser, DESKTOP)
            sign_in(page, live.base, role, email=EMAILS[role], password=PASSWORD)
            for url in urls:
                if url.startswith("/sign-in") or url.startswith("/outcome/"):
                    continue
                response = page.goto(live.base + url)
                status = response.status if response is not None else None
                if status not in (200, 403, 404):
                    found[f"{role} {url}"] = [f"answered {status}"]
                    continue
                _check(page, f"{role} {url}" + ("" if status == 200 else f" ({status})"), found, checked)
    finally:
        page.context.close()
    assert found == {}, "\n".join(f"{where}:\n  " + "\n  ".join(problems) for where, problems in sorted(found.items()))


def test_the_check_finds_a_violation_when_there_is_one(browser, live):
    """The same check on a page given an unlabelled field and a low-contrast line: both are named."""
    page = new_page(browser, DESKTOP)
    try:
        page.goto(f"{live.base}/sign-in")
        # The colour is set through the CSSOM: the page's Content-Security-Policy refuses style attributes.
        page.evaluate(
            """() => { const main = document.querySelector('main');
                       main.insertAdjacentHTML('afterbegin', '<input type=text id=bad-field><p id=bad-text>pâle</p>');
                       Object.assign(document.getElementById('bad-text').style, {color: '#bbb', background: '#fff'}); }"""
        )
        found: dict[str, list[str]] = {}
        _check(page, "sign-in", found)
        problems = " ".join(found.get("sign-in", []))
        assert re.search(r"1366 px: label \(critical\).*#bad-field", problems), problems
        assert re.search(r"1366 px: color-contrast \(serious\).*#bad-text", problems), problems
        assert re.search(r"390 px: color-contrast \(serious\).*#bad-text", problems), problems
    finally:
        page.context.close()
