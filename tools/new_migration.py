"""Write a room's next Alembic migration from the difference between its tables and the
schema the existing migrations build.

    python tools/new_migration.py ROOM "message" [--branch]

ROOM is the room's branch label; only tables whose names the room owns (given with
--tables) are compared. The file lands in src/singlewindow/migrations/versions/.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from singlewindow.core.db import Database
from singlewindow.core.migrate import MIGRATIONS, alembic_config, metadata, upgrade

TEMPLATE = '''"""{room}: {message}

Revision ID: {revision}
Revises: {down}
Create Date: {today}
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = {revision!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = None


{body}
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("room")
    parser.add_argument("message")
    parser.add_argument("--tables", nargs="+", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{tmp}/schema.db")
        upgrade(database)
        with database.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "include_object": lambda obj, name, kind, reflected, compare_to: (
                        (obj.table.name if kind in ("column", "index", "unique_constraint",
                                                    "foreign_key_constraint") else name)
                        in args.tables
                    ),
                    "render_as_batch": False,
                },
            )
            migration = produce_migrations(context, metadata())
            body = render_python_code(migration.upgrade_ops, migration_context=context)
            down = render_python_code(migration.downgrade_ops, migration_context=context)
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    heads = [
        rev for rev in script.get_revisions("heads") if args.room in (rev.branch_labels or ())
    ]
    previous = heads[0].revision if heads else None
    number = 1 if previous is None else int(previous.rsplit("_", 1)[1]) + 1
    revision = f"{args.room}_{number:04d}"
    text = TEMPLATE.format(
        room=args.room,
        message=args.message,
        revision=revision,
        down=previous,
        today=date.today().isoformat(),
        labels=(args.room,) if previous is None else None,
        body=f"def upgrade() -> None:\n{body}\n\ndef downgrade() -> None:\n{down}",
    )
    slug = args.message.lower().replace(" ", "_")[:40]
    path = Path(MIGRATIONS) / "versions" / f"{revision}_{slug}.py"
    path.write_text(text)
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(path)], check=False)
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "-q", str(path)], check=False)
    print(path)


if __name__ == "__main__":
    main()
