"""A small hospital with one account per role, and helpers to sign in through the real form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts import operations as accounts
from accounts.models import DepartmentStaff, User
from audit import record
from core import db
from core.actor import SYSTEM
from directory.models import GeneralPractitioner, GpPhone
from rota import operations as rota
from rota.models import Department, Senior, SeniorPhone, Specialty
from tests.conftest import FIXED_NOW
from tests.web.browser import browser, live, live_filling, live_settings, page, shots  # noqa: F401 - the browser tests' fixtures

PASSWORD = "a long enough test password"
PARIS = ZoneInfo("Europe/Paris")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class World:
    """Department A (neurology, headed by head_a) and department B (cardiology, headed by head_b)."""

    dept_a: int
    dept_b: int
    neuro: int
    cardio: int
    senior_a: int  # a neurologist with an account (role senior)
    senior_a2: int  # another neurologist
    senior_b: int  # a cardiologist
    head_a_senior: int
    head_b_senior: int
    rotation_a: int
    rotation_b: int
    shift_a: int
    shift_b: int
    override_a: int
    override_b: int
    leave_a: int
    leave_b: int
    swap_a: int
    swap_b: int
    gp: int
    audit_a: int
    audit_b: int
    users: dict[str, int]
    ical_secret: str = ""  # the senior's iCal link secret (only its hash is stored)
    # Urgent slots (slots/): a pattern, a free slot and a booking in each department.
    pattern_a: int = 0
    pattern_b: int = 0
    slot_a: int = 0
    slot_b: int = 0
    booking_a: int = 0
    booking_b: int = 0
    urgent_code: str = ""  # the code of booking_a, as the GP's SMS gave it
    call_a: int = 0  # a neurology call that ended in a callback request (request_a)
    call_b: int = 0  # a cardiology call, the same
    request_a: int = 0
    request_b: int = 0


def logged_call(session, sid: str, specialty_id: int, senior: Senior, at: datetime) -> tuple[int, int]:
    """A call written by the call log's one writer as the webhooks would: the primary does not answer,
    the GP leaves a message. Returns (call id, callback request id)."""
    from calllog import events as ev
    from calllog import operations as calllog
    from calllog.models import AttemptResult
    from rota.queries import HuntEntry

    call = calllog.open_call(session, sid, "+33199000201", "+33199000000", at)
    entry = HuntEntry(senior.id, senior.full_name, senior.phones[0].e164, "primary", "rotation")
    calllog.apply(session, call, [ev.SpecialtyChosen(specialty_id, (entry,)), ev.AttemptDialled(0, entry)], at + timedelta(seconds=8))
    calllog.apply(session, call, [ev.AttemptEnded(0, AttemptResult.NO_ANSWER)], at + timedelta(seconds=28))
    calllog.apply(session, call, [ev.CallbackRequested()], at + timedelta(seconds=30))
    calllog.apply(session, call, [ev.RecordingReceived(None, "RE" + sid[2:34], 12), ev.CallFinished()], at + timedelta(seconds=45))
    return call.id, call.callback.id


def _senior(session, name: str, number: str) -> Senior:
    senior = Senior(full_name=name, phones=[SeniorPhone(e164=number, preference=0)])
    session.add(senior)
    session.flush()
    return senior


def build_world(session, now=FIXED_NOW) -> World:
    dept_a = Department(name="Neurosciences", timezone="Europe/Paris", swaps_need_approval=True)
    dept_b = Department(name="Cardiologie", timezone="Europe/Paris")
    neuro = Specialty(
        code="neurology", department=dept_a, name_fr="neurologie", name_en="neurology", menu_digit="1", speech_keywords="neurologie, neuro"
    )
    cardio = Specialty(
        code="cardiology", department=dept_b, name_fr="cardiologie", name_en="cardiology", menu_digit="2", speech_keywords="cardio"
    )
    session.add_all([dept_a, dept_b, neuro, cardio])
    session.flush()
    senior_a = _senior(session, "Dr Claire Martin", "+33199000101")
    senior_a2 = _senior(session, "Dr Hugo Bernard", "+33199000102")
    head_a = _senior(session, "Pr Anne Chef", "+33199000109")
    senior_b = _senior(session, "Dr Sophie Lambert", "+33199000111")
    head_b = _senior(session, "Pr Marc Rousseau", "+33199000119")
    rota.update_department(session, SYSTEM, dept_a.id, heads=[head_a.id])
    rota.update_department(session, SYSTEM, dept_b.id, heads=[head_b.id])
    # Members (what gives heads authority): the two neurologists of A, the cardiologist of B; heads are
    # members of the departments they head.
    session.add_all(
        [
            DepartmentStaff(department_id=dept_a.id, senior_id=senior_a.id),
            DepartmentStaff(department_id=dept_a.id, senior_id=senior_a2.id),
            DepartmentStaff(department_id=dept_b.id, senior_id=senior_b.id),
        ]
    )
    # Weekly turns from the Monday of ``now``'s week: senior_a this week, senior_a2 the next.
    monday = now.astimezone(PARIS).date() - timedelta(days=now.astimezone(PARIS).weekday())
    next_tuesday = datetime.combine(monday + timedelta(days=8), time(8, 30), PARIS).astimezone(UTC)
    valid_from = now - timedelta(days=30)
    rotation_a = rota.add_rotation(
        session,
        SYSTEM,
        neuro.id,
        "Jour",
        "primary",
        weekdays="1234567",
        start=time(8, 30),
        end=time(8, 30),
        members=[senior_a.id, senior_a2.id],
        turn_days=7,
        anchor=monday,
        valid_from=valid_from,
    )
    rotation_b = rota.add_rotation(
        session,
        SYSTEM,
        cardio.id,
        "Jour",
        "primary",
        weekdays="1234567",
        start=time(8, 30),
        end=time(8, 30),
        members=[senior_b.id],
        turn_days=7,
        anchor=monday,
        valid_from=valid_from,
    )
    shift_a = rota.add_shift(session, SYSTEM, neuro.id, senior_a2.id, "backup", now - timedelta(hours=1), now + timedelta(hours=8))
    shift_b = rota.add_shift(session, SYSTEM, cardio.id, senior_b.id, "backup", now + timedelta(days=2), now + timedelta(days=2, hours=8))
    override_a = rota.add_override(
        session, SYSTEM, neuro.id, senior_a2.id, head_a.id, now + timedelta(days=10), now + timedelta(days=11), "congress"
    )
    override_b = rota.add_override(session, SYSTEM, cardio.id, senior_b.id, head_b.id, now + timedelta(days=10), now + timedelta(days=11))
    leave_a = rota.add_leave(session, SYSTEM, senior_a2.id, now + timedelta(days=20), now + timedelta(days=21), "training")
    leave_b = rota.add_leave(session, SYSTEM, senior_b.id, now + timedelta(days=20), now + timedelta(days=21))
    swap_a = rota.request_swap(session, SYSTEM, neuro.id, senior_a2.id, senior_a.id, next_tuesday, next_tuesday + timedelta(days=1), at=now)
    swap_b = rota.request_swap(
        session, SYSTEM, cardio.id, senior_b.id, head_b.id, now + timedelta(hours=1), now + timedelta(hours=3), at=now
    )
    rota.accept_swap(session, SYSTEM, swap_b.id, head_b.id, now)
    gp = GeneralPractitioner(full_name="Dr Alice Renaud", rpps="10001234567", phones=[GpPhone(e164="+33199000201")])
    session.add(gp)
    users = {}
    for role, email, name, senior_id in [
        ("admin", "admin@hopital.fr", "Admin IT", None),
        ("head", "head.a@hopital.fr", "Pr Anne Chef", head_a.id),
        ("head_b", "head.b@hopital.fr", "Pr Marc Rousseau", head_b.id),
        ("manager", "manager@hopital.fr", "Cadre Lecture", None),
        ("senior", "senior@hopital.fr", "Dr Claire Martin", senior_a.id),
        ("secretariat", "secretariat@hopital.fr", "Secrétariat de neurologie", None),
    ]:
        user = accounts.create_user(
            session,
            SYSTEM,
            email=email,
            full_name=name,
            role="head" if role == "head_b" else role,
            password=PASSWORD,
            senior_id=senior_id,
            at=now,
            departments=[dept_a.id] if role == "secretariat" else None,
        )
        users[role] = user.id
    ical_secret = accounts.new_ical_token(session, SYSTEM, session.get(User, users["senior"]))
    audit_a = record(
        session,
        SYSTEM,
        action="rotation.update",
        target_type="rotation",
        target_id=rotation_a.id,
        department_ids=[dept_a.id],
        before={"name": "x"},
        after={"name": "Jour"},
    )
    audit_b = record(
        session,
        SYSTEM,
        action="rotation.update",
        target_type="rotation",
        target_id=rotation_b.id,
        department_ids=[dept_b.id],
        before={"name": "y"},
        after={"name": "Jour"},
    )
    urgent = _urgent_slots(session, neuro.id, cardio.id, gp, now)
    call_a, request_a = logged_call(session, "CA" + "a" * 32, neuro.id, senior_a, now - timedelta(minutes=50))
    call_b, request_b = logged_call(session, "CA" + "b" * 32, cardio.id, senior_b, now - timedelta(minutes=40))
    session.commit()
    world = World(
        dept_a.id, dept_b.id, neuro.id, cardio.id, senior_a.id, senior_a2.id, senior_b.id, head_a.id, head_b.id,
        rotation_a.id, rotation_b.id, shift_a.id, shift_b.id, override_a.id, override_b.id, leave_a.id, leave_b.id,
        swap_a.id, swap_b.id, gp.id, audit_a.id, audit_b.id, users, ical_secret,
    )  # fmt: skip
    world.pattern_a, world.pattern_b, world.slot_a, world.slot_b, world.booking_a, world.booking_b = urgent
    from slots.models import SlotBooking

    world.urgent_code = session.get(SlotBooking, world.booking_a).code
    world.call_a, world.call_b, world.request_a, world.request_b = call_a, call_b, request_a, request_b
    return world


def _urgent_slots(session, neuro: int, cardio: int, gp: GeneralPractitioner, now) -> tuple[int, ...]:
    from slots import operations as slots

    session.flush()
    found = []
    for specialty in (neuro, cardio):
        pattern = slots.add_pattern(
            session, SYSTEM, specialty, slots.PatternSettings(weekdays="1234567", times="11:30, 16:30", place="Salle 1"), at=now
        )
        booked = slots.next_free_slot(session, specialty, now)
        booking = slots.book_slot(session, SYSTEM, booked.id, senior_id=None, gp_e164=gp.phones[0].e164, gp_id=gp.id, at=now)
        found.append((pattern.id, slots.next_free_slot(session, specialty, now).id, booking.id))
    (pattern_a, slot_a, booking_a), (pattern_b, slot_b, booking_b) = found
    return pattern_a, pattern_b, slot_a, slot_b, booking_a, booking_b


EMAILS = {
    "admin": "admin@hopital.fr",
    "head": "head.a@hopital.fr",
    "head_b": "head.b@hopital.fr",
    "manager": "manager@hopital.fr",
    "senior": "senior@hopital.fr",
    "secretariat": "secretariat@hopital.fr",
}


@pytest.fixture
def world(app, frozen_clock) -> World:
    """Built in an application context of its own and closed: requests must not share one (nor its
    ``g``, where Flask-Login and the CSRF token are cached), as they never do in production."""
    with app.app_context():
        return build_world(db.session())


@pytest.fixture
def read(app):
    """``with read() as session:`` a fresh session to inspect what requests committed."""
    import contextlib

    @contextlib.contextmanager
    def context():
        with app.app_context():
            yield db.session()

    return context


def csrf_token(client, path: str = "/sign-in") -> str:
    answer = client.get(path)
    found = CSRF.search(answer.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({answer.status_code})"
    return found.group(1)


def sign_in(client, role: str, password: str = PASSWORD):
    token = csrf_token(client)
    response = client.post("/sign-in", data={"csrf_token": token, "email": EMAILS[role], "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client


@pytest.fixture
def signed_in(app):
    """``signed_in("head")`` → a test client signed in as that role."""

    def make(role: str):
        return sign_in(app.test_client(), role)

    return make


@pytest.fixture(autouse=True)
def cheap_password_hashing():
    """Argon2id with tiny parameters: the same code path and a real check, 0.8 s less per hash."""
    from argon2 import PasswordHasher

    from accounts import passwords

    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    yield
    passwords.use_hasher(previous)


def body(response) -> str:
    """The page as a person reads it (entities such as &#39; decoded; the non-breaking spaces of French
    typography, « 33,3 % », read as spaces)."""
    import html

    return html.unescape(response.get_data(as_text=True)).replace("\u00a0", " ").replace("\u202f", " ")


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def confirm_preview(client, preview_response):
    """Press "confirm" on a preview page (rota.preview) as a person would: the same hidden fields, the
    CSRF token and the version the page carries, ``step=confirm``."""
    import html

    html_text = preview_response.get_data(as_text=True)
    assert 'name="preview_version"' in html_text, "not a preview page"
    action = re.search(r'<form method="post" action="([^"]+)" class="stacked">', html_text).group(1)
    fields: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(html_text.split('<form method="post" action="' + action)[1]):
        fields.setdefault(name, []).append(html.unescape(value))
    return client.post(html.unescape(action), data={**fields, "step": "confirm"})


def through_preview(client, response):
    """A form's answer as met by a person who reads the preview and confirms it: the saved change's answer
    (a redirect), or the answer itself when there was no preview (the form again with a refusal on it)."""
    if response.status_code == 200 and 'name="preview_version"' in response.get_data(as_text=True):
        return confirm_preview(client, response)
    return response
