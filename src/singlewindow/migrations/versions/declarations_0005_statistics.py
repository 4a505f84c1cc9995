"""declarations: each goods item's code, origin and value for the dashboard, an index the
dashboard's figures are read from, and pre-arrival records found by their import and with
their score

Revision ID: declarations_0005
Revises: declarations_0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

from singlewindow.core.db import Document, UtcDateTime

revision = "declarations_0005"
down_revision = "declarations_0004"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    goods = op.create_table(  # the types the model's table has (UtcDateTime on SQLite)
        "declaration_goods",
        sa.Column("declaration_id", sa.String(32),
                  sa.ForeignKey("declaration.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("sequence", sa.Integer(), primary_key=True),
        sa.Column("type", sa.String(2), nullable=False),
        sa.Column("office", sa.String(8), nullable=False),
        sa.Column("lodged_at", UtcDateTime(), nullable=False),
        sa.Column("commodity_code", sa.String(10), nullable=False),
        sa.Column("chapter", sa.String(2), nullable=False),
        sa.Column("origin_country", sa.String(2), nullable=False),
        sa.Column("customs_value", sa.Numeric(20, 4), nullable=False),
    )
    op.create_index("ix_declaration_goods_lodged", "declaration_goods",
                    ["lodged_at", "office", "type", "origin_country", "chapter", "customs_value"])
    op.create_index("ix_declaration_statistics", "declaration",
                    ["lodged_at", "office", "type", "channel", "currency", "duties", "paid",
                     "released_at"])
    # Lodgement days are the statistics index's first column: one index fewer to write.
    op.drop_index("ix_declaration_lodged_at", "declaration")
    with op.batch_alter_table("pre_arrival_record") as table:
        table.create_index("ix_pre_arrival_record_import_number", ["import_number"])
        table.add_column(sa.Column("risk_score", sa.Float(), nullable=True))
    _backfill(goods)


def _backfill(goods: sa.Table) -> None:
    """The goods of the declarations already lodged, a batch at a time."""
    declaration = sa.table("declaration", sa.column("id"), sa.column("type"),
                           sa.column("office"), sa.column("lodged_at", UtcDateTime()),
                           sa.column("data", Document), sa.column("assessment", Document))
    bind = op.get_bind()
    last = ""
    while True:
        rows = bind.execute(sa.select(declaration).where(declaration.c.id > last)
                            .order_by(declaration.c.id).limit(BATCH)).mappings().all()
        if not rows:
            return
        values = [g for row in rows for g in goods_values(dict(row))]
        if values:
            bind.execute(goods.insert(), values)
        last = rows[-1]["id"]


def goods_values(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A declaration's goods rows as this revision stores them (a copy of
    `repository.goods_values` of its day: a migration does not follow later code)."""
    valued = {int(i["sequence"]): i["customs_value"] for i in row["assessment"]["items"]}
    return [{
        "declaration_id": row["id"], "sequence": n, "type": row["type"],
        "office": row["office"], "lodged_at": row["lodged_at"],
        "commodity_code": str(item["commodity_code"])[:10],
        "chapter": str(item["commodity_code"])[:2],
        "origin_country": str(item.get("origin_country") or "")[:2],
        "customs_value": Decimal(valued.get(n, "0")),
    } for n, item in ((int(item.get("sequence") or k), item)
                      for k, item in enumerate(row["data"]["items"], start=1))]


def downgrade() -> None:
    with op.batch_alter_table("pre_arrival_record") as table:
        table.drop_column("risk_score")
        table.drop_index("ix_pre_arrival_record_import_number")
    op.create_index("ix_declaration_lodged_at", "declaration", ["lodged_at"])
    op.drop_index("ix_declaration_statistics", "declaration")
    op.drop_index("ix_declaration_goods_lodged", "declaration_goods")
    op.drop_table("declaration_goods")
