"""One delivery lifecycle: an explicit operator wait and the time an earlier request may still be in flight.

Revision ID: 0005
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from publisher.db.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FAR_AHEAD = 3650 * 24 * 3600 / 2  # the old encoding of "waiting for an operator": a retry time years ahead


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("waiting_for", sa.String(20)))
        batch.add_column(sa.Column("in_flight_until", UTCDateTime))
    bind = op.get_bind()
    # Deliveries parked the old way become explicit operator waits, due at once when an operator releases them.
    rows = bind.execute(sa.text("SELECT id, next_attempt_at, updated_at FROM deliveries WHERE status = 'in_doubt'"))
    for row in rows.all():
        ahead, updated = _as_datetime(row.next_attempt_at), _as_datetime(row.updated_at)
        if (ahead - updated).total_seconds() > FAR_AHEAD:
            bind.execute(sa.text("UPDATE deliveries SET waiting_for = 'operator', next_attempt_at = updated_at "
                                 "WHERE id = :id"), {"id": row.id})


def _as_datetime(value):
    from datetime import datetime

    return datetime.fromisoformat(value) if isinstance(value, str) else value


def downgrade() -> None:
    """Back to 0004: operator waits become the first release's retry time ten years ahead again."""
    rows = op.get_bind().execute(sa.text("SELECT id, updated_at FROM deliveries WHERE waiting_for = 'operator'"))
    for row in rows.all():
        parked = _as_datetime(row.updated_at) + timedelta(days=3650)
        op.get_bind().execute(sa.text("UPDATE deliveries SET next_attempt_at = :at WHERE id = :id"),
                              {"at": parked, "id": row.id})
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("in_flight_until")
        batch.drop_column("waiting_for")
