"""How well selection finds what is wrong: the inspection hit rate of each risk profile and
of the random selections, over the inspections recorded in a period (read-only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from singlewindow.core.db import Database
from singlewindow.risk.repository import RiskRuleRow, RuleHitRow, SelectionRow

NOTHING_FOUND = "no_discrepancy"


def hit_rates(database: Database, start: date, end: date) -> list[dict[str, Any]]:
    """Per profile (by name) and for random selections: inspections recorded from `start`
    to `end` (UTC days, both included), how many found something, and that share. A
    random selection is the unbiased baseline a profile's rate is compared with."""
    since = datetime.combine(start, time.min, tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    inspected = (SelectionRow.outcome_at >= since, SelectionRow.outcome_at < until)
    found = func.count().filter(SelectionRow.outcome != NOTHING_FOUND)
    with database.unit_of_work() as session:
        by_rule = session.execute(
            select(RiskRuleRow.name, func.count(), found)
            .select_from(SelectionRow)
            .join(RuleHitRow, RuleHitRow.selection_id == SelectionRow.id)
            .join(RiskRuleRow, RiskRuleRow.id == RuleHitRow.rule_id)
            .where(*inspected).group_by(RiskRuleRow.name).order_by(RiskRuleRow.name)
        ).all()
        random = session.execute(
            select(func.count(), found).where(*inspected, SelectionRow.random.is_(True))
        ).one()
    counts = [(str(name), False, int(n), int(f)) for name, n, f in by_rule]
    counts.append(("random", True, int(random[0]), int(random[1])))
    return [{"selection": name, "random": is_random, "inspected": n, "findings": f,
             "hit_rate": round(f / n, 4) if n else 0.0} for name, is_random, n, f in counts]
