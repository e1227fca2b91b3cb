"""The menu is cached per process for a few seconds: an edit reaches the hotline after the TTL."""

from __future__ import annotations

from ivr.menu import HotlineMenu
from rota.models import Specialty
from tests.hospital import NEURO_DIRECT, build_hospital


def test_menu_is_reread_after_its_time_to_live(session, frozen_clock):
    build_hospital(session, frozen_clock[0])
    ticks = [0.0]
    menu = HotlineMenu(ttl=30, monotonic=lambda: ticks[0])
    assert [e.name_fr for e in menu.entries(session)] == ["neurologie", "cardiologie", "pédiatrie"]
    assert menu.by_direct_number(session, NEURO_DIRECT).code == "neurology"
    neurology = session.query(Specialty).filter_by(code="neurology").one()
    neurology.name_fr = "neurologie vasculaire"
    neurology.direct_number = None
    session.commit()
    ticks[0] = 29.9
    assert menu.entries(session)[0].name_fr == "neurologie"  # still the cached menu
    ticks[0] = 30.0
    assert menu.entries(session)[0].name_fr == "neurologie vasculaire"
    assert menu.by_direct_number(session, NEURO_DIRECT) is None
