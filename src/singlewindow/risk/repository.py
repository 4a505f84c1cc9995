"""Risk profiles, the selectivity policy, and every selection made (the history that hit
rates and the learned model are computed from)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core import revisions
from singlewindow.core.db import Base, Document, UtcDateTime
from singlewindow.core.errors import Problem
from singlewindow.risk.model import (
    Channel,
    RiskRule,
    RuleStatistics,
    RuleStatus,
    SelectivityPolicy,
    parse_criterion,
)


class RiskRuleRow(Base):
    __tablename__ = "risk_rule"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    criteria: Mapped[list] = mapped_column(Document)
    channel: Mapped[str] = mapped_column(String(8))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def rule(self) -> RiskRule:
        problems: list[Problem] = []
        criteria = tuple(
            c
            for i, raw in enumerate(self.criteria)
            if (c := parse_criterion(raw, f"criteria.{i}", problems)) is not None
        )
        return RiskRule(
            id=self.id,
            name=self.name,
            criteria=criteria,
            channel=Channel(self.channel),
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            status=RuleStatus(self.status),
            forced=self.forced,
        )


class RiskRevisionRow(Base):
    """One row (id 1): how many changes of the rules, the policy and the model in service
    the node has seen (every process reloads them when it moves)."""

    __tablename__ = "risk_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(BigInteger)


def bump_revision(session: Session) -> None:
    """Count one more change of the rules, the policy or the model in service, in the
    caller's transaction."""
    revisions.bump_revision(session, RiskRevisionRow)


def current_revision(session: Session) -> int:
    return revisions.stored_revision(session, RiskRevisionRow)


class SelectivityPolicyRow(Base):
    __tablename__ = "selectivity_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    random_share: Mapped[float] = mapped_column(Float)
    random_channel: Mapped[str] = mapped_column(String(8))
    red_rate: Mapped[float] = mapped_column(Float, default=0.02)
    yellow_rate: Mapped[float] = mapped_column(Float, default=0.05)
    aeo_factor: Mapped[float] = mapped_column(Float, default=0.5)
    aeo_random_share: Mapped[float] = mapped_column(Float, default=0.005)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def policy(self) -> SelectivityPolicy:
        return SelectivityPolicy(
            random_share=self.random_share,
            random_channel=Channel(self.random_channel),
            red_rate=self.red_rate,
            yellow_rate=self.yellow_rate,
            aeo_factor=self.aeo_factor,
            aeo_random_share=self.aeo_random_share,
        )


class SelectionRow(Base):
    """One channel decision: for a declaration or a pre-arrival record."""

    __tablename__ = "risk_selection"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_ref: Mapped[str] = mapped_column(String(40), index=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # declaration, pre_arrival
    selected_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    random: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[int | None] = mapped_column(Integer)  # the model that scored it
    reasons: Mapped[list] = mapped_column(Document)
    facts: Mapped[dict] = mapped_column(Document)  # what was scored, for history features
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    duty_difference: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))


class RuleHitRow(Base):
    __tablename__ = "risk_rule_hit"

    selection_id: Mapped[str] = mapped_column(
        ForeignKey("risk_selection.id", ondelete="CASCADE"), primary_key=True
    )
    rule_id: Mapped[str] = mapped_column(ForeignKey("risk_rule.id"), primary_key=True, index=True)


def rule_statistics(session: Session, rule_id: str) -> RuleStatistics:
    row = session.execute(
        select(
            func.count(),
            func.count(SelectionRow.outcome),
            func.count(SelectionRow.outcome).filter(SelectionRow.outcome != "no_discrepancy"),
        )
        .select_from(RuleHitRow)
        .join(SelectionRow, SelectionRow.id == RuleHitRow.selection_id)
        .where(RuleHitRow.rule_id == rule_id)
    ).one()
    return RuleStatistics(selections=row[0], inspected=row[1], findings=row[2])
