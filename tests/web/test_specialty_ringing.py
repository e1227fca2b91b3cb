"""The specialty page shows how the specialty rings and what each setting would have given, from the log."""

from __future__ import annotations

import re
from datetime import timedelta

from calllog.models import Attempt, AttemptResult, Call
from core.actor import SYSTEM
from ringing.operations import set_ringing
from rota.queries import HuntEntry
from tests.web.conftest import FIXED_NOW, body


def test_the_specialty_page_compares_sequential_staged_and_automatic_ringing(app, world, read, signed_in):
    with read() as session:
        set_ringing(session, SYSTEM, world.neuro, "staged", 10, FIXED_NOW)
        entries = [
            HuntEntry(world.senior_a, "A", "+33199000401", "primary", "rota"),
            HuntEntry(world.senior_a2, "B", "+33199000402", "backup", "rota"),
        ]
        for n in range(4):  # the primary lets it ring out, the backup accepts 14 s after being dialled
            started = FIXED_NOW - timedelta(days=n + 1)
            call = Call(
                sid=f"CA{n:032d}",
                caller="+33199000299",
                dialled="+33199000000",
                language="fr",
                menu_failures=0,
                started_at=started,
                status_rank=4,
                specialty_id=world.neuro,
                hunt=[e.to_json() for e in entries],
            )
            call.attempts = [
                Attempt(
                    rank=0,
                    senior_id=world.senior_a,
                    number="+33199000401",
                    layer="primary",
                    started_at=started,
                    status_rank=4,
                    result=AttemptResult.NO_ANSWER,
                ),
                Attempt(
                    rank=1,
                    senior_id=world.senior_a2,
                    number="+33199000402",
                    layer="backup",
                    started_at=started + timedelta(seconds=23),
                    accepted_at=started + timedelta(seconds=37),
                    status_rank=4,
                    result=AttemptResult.ACCEPTED,
                ),
            ]
            session.add(call)
        session.commit()
    page = body(signed_in("head").get(f"/specialties/{world.neuro}/edit"))
    page = re.sub(r' data-label="[^"]*"', "", page)  # each cell names its column for phones (the table stacks)
    assert "Échelonnée : le médecin de garde sonne seul 10 s, puis le remplaçant sonne aussi." in page
    assert "Ce que chaque réglage aurait donné sur les appels des quatre dernières semaines" in page
    for label in ("successive", "échelonnée après 5 s", "échelonnée après 10 s", "échelonnée après 15 s", "automatique"):
        assert f"<td>{label}</td>" in page
    # Sequential: the primary never answers here, so every call rings the backup (4 calls in 4 weeks: 1 a week).
    assert "<td>successive</td><td>" in page and "<td>1,0</td></tr>" in page
