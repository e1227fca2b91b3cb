"""Department membership decides authority: seed it from what the rota already says.

Revision ID: 0602
Revises: 0601
Create Date: 2026-12-01 11:00:00

Until now a senior "belonged" to every department in whose specialties they held a rotation turn, a
single shift or the last-resort slot, so a head could take over another department's senior by giving
them a one-hour shift (issue 10). From now on only ``department_staff`` rows and the department's heads
make a senior a member. So that nobody loses the department they really work in, this migration adds a
``department_staff`` row, where none exists, for

- every head of a department (``department_head``), and
- every senior who takes turns in a rotation of one of the department's specialties (``rotation_member``),

and deliberately *not* for holders of single shifts or of a last-resort slot: those are the paths of the
takeover, and a real member of the department is in a rotation or on its staff list already. An
administrator adds anyone missing on the senior's page. No table changes; going down removes nothing
(the rows cannot be told from those added by hand, and were true before as well).
"""

from __future__ import annotations

from alembic import op

revision = "0602"
down_revision = "0601"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        INSERT INTO department_staff (department_id, senior_id)
        SELECT DISTINCT found.department_id, found.senior_id FROM (
            SELECT department_head.department_id AS department_id, department_head.senior_id AS senior_id
            FROM department_head
            UNION
            SELECT specialty.department_id, rotation_member.senior_id
            FROM rotation_member
            JOIN rotation ON rotation.id = rotation_member.rotation_id
            JOIN specialty ON specialty.id = rotation.specialty_id
        ) AS found
        WHERE NOT EXISTS (
            SELECT 1 FROM department_staff
            WHERE department_staff.department_id = found.department_id AND department_staff.senior_id = found.senior_id
        )
        """
    )


def downgrade() -> None:
    pass
