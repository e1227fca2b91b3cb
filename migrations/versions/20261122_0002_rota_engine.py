"""The rota engine: department heads and settings, rotations, leave, overrides, swaps.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 15:31:01.634233

Rotations are stored as patterns (local wall-clock times, weekdays, turn order), never as occurrences;
``duty_slot`` keeps its meaning of a single shift. Existing departments get ``leave_policy = skip``,
swaps needing a head's approval, and no public holiday calendar: what the hotline rang before this
migration it still rings after it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('department_head',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_department_head_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_department_head_senior_id_senior'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('department_id', 'senior_id', name=op.f('pk_department_head'))
    )
    with op.batch_alter_table('department_head', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_head_senior_id'), ['senior_id'], unique=False)

    op.create_table('senior_leave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=120), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_senior_leave_interval_not_empty')),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_senior_leave_senior_id_senior'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_senior_leave'))
    )
    with op.batch_alter_table('senior_leave', schema=None) as batch_op:
        batch_op.create_index('ix_senior_leave_lookup', ['senior_id', 'starts_at', 'ends_at'], unique=False)

    op.create_table('rotation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('layer', sa.Enum('primary', 'backup', name='layer', native_enum=False, length=16), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('turn_days', sa.Integer(), nullable=False),
    sa.Column('handoff_time', sa.Time(), nullable=False),
    sa.Column('anchor_date', sa.Date(), nullable=False),
    sa.Column('valid_from', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(weekdays) BETWEEN 1 AND 7', name=op.f('ck_rotation_weekdays_given')),
    sa.CheckConstraint('turn_days >= 1', name=op.f('ck_rotation_turn_days_positive')),
    sa.CheckConstraint('valid_until IS NULL OR valid_until > valid_from', name=op.f('ck_rotation_validity_not_empty')),
    sa.ForeignKeyConstraint(['specialty_id'], ['specialty.id'], name=op.f('fk_rotation_specialty_id_specialty'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotation'))
    )
    with op.batch_alter_table('rotation', schema=None) as batch_op:
        batch_op.create_index('ix_rotation_specialty', ['specialty_id', 'valid_from'], unique=False)

    op.create_table('swap_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('counterpart_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('return_starts_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('return_ends_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('requested', 'accepted', 'approved', 'declined', 'rejected', 'cancelled', name='swapstatus', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('requested_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(return_starts_at IS NULL AND return_ends_at IS NULL) OR return_ends_at > return_starts_at', name=op.f('ck_swap_request_return_interval')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_swap_request_interval_not_empty')),
    sa.CheckConstraint('requester_id <> counterpart_id', name=op.f('ck_swap_request_two_seniors')),
    sa.ForeignKeyConstraint(['counterpart_id'], ['senior.id'], name=op.f('fk_swap_request_counterpart_id_senior'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['senior.id'], name=op.f('fk_swap_request_decided_by_id_senior'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_id'], ['senior.id'], name=op.f('fk_swap_request_requester_id_senior'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['specialty_id'], ['specialty.id'], name=op.f('fk_swap_request_specialty_id_specialty'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_swap_request'))
    )
    with op.batch_alter_table('swap_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_swap_request_counterpart_id'), ['counterpart_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_swap_request_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_swap_request_specialty_id'), ['specialty_id'], unique=False)

    op.create_table('duty_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=False),
    sa.Column('replaced_senior_id', sa.Integer(), nullable=False),
    sa.Column('replacing_senior_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('swap_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_duty_override_interval_not_empty')),
    sa.CheckConstraint('replaced_senior_id <> replacing_senior_id', name=op.f('ck_duty_override_two_seniors')),
    sa.ForeignKeyConstraint(['replaced_senior_id'], ['senior.id'], name=op.f('fk_duty_override_replaced_senior_id_senior'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replacing_senior_id'], ['senior.id'], name=op.f('fk_duty_override_replacing_senior_id_senior'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['specialty_id'], ['specialty.id'], name=op.f('fk_duty_override_specialty_id_specialty'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['swap_id'], ['swap_request.id'], name=op.f('fk_duty_override_swap_id_swap_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_override'))
    )
    with op.batch_alter_table('duty_override', schema=None) as batch_op:
        batch_op.create_index('ix_duty_override_lookup', ['specialty_id', 'starts_at', 'ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_override_replaced_senior_id'), ['replaced_senior_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_override_replacing_senior_id'), ['replacing_senior_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_override_swap_id'), ['swap_id'], unique=False)

    op.create_table('rotation_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rotation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('senior_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rotation_id'], ['rotation.id'], name=op.f('fk_rotation_member_rotation_id_rotation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['senior_id'], ['senior.id'], name=op.f('fk_rotation_member_senior_id_senior'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotation_member')),
    sa.UniqueConstraint('rotation_id', 'position', name=op.f('uq_rotation_member_rotation_id_position'))
    )
    with op.batch_alter_table('rotation_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rotation_member_senior_id'), ['senior_id'], unique=False)

    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leave_policy', sa.Enum('skip', 'gap', name='leavepolicy', native_enum=False, length=16), server_default='skip', nullable=False))
        batch_op.add_column(sa.Column('swaps_need_approval', sa.Boolean(), server_default=sa.text("true"), nullable=False))
        batch_op.add_column(sa.Column('public_holidays', sa.String(length=16), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_column('public_holidays')
        batch_op.drop_column('swaps_need_approval')
        batch_op.drop_column('leave_policy')

    with op.batch_alter_table('rotation_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rotation_member_senior_id'))

    op.drop_table('rotation_member')
    with op.batch_alter_table('duty_override', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_override_swap_id'))
        batch_op.drop_index(batch_op.f('ix_duty_override_replacing_senior_id'))
        batch_op.drop_index(batch_op.f('ix_duty_override_replaced_senior_id'))
        batch_op.drop_index('ix_duty_override_lookup')

    op.drop_table('duty_override')
    with op.batch_alter_table('swap_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_swap_request_specialty_id'))
        batch_op.drop_index(batch_op.f('ix_swap_request_requester_id'))
        batch_op.drop_index(batch_op.f('ix_swap_request_counterpart_id'))

    op.drop_table('swap_request')
    with op.batch_alter_table('rotation', schema=None) as batch_op:
        batch_op.drop_index('ix_rotation_specialty')

    op.drop_table('rotation')
    with op.batch_alter_table('senior_leave', schema=None) as batch_op:
        batch_op.drop_index('ix_senior_leave_lookup')

    op.drop_table('senior_leave')
    with op.batch_alter_table('department_head', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_head_senior_id'))

    op.drop_table('department_head')
