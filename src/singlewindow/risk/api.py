"""HTTP routes of selectivity: rules and their hit rates, the policy, the learned model's
versions, comparisons, promotion and drift."""

from __future__ import annotations

from fastapi import APIRouter, Query

from singlewindow.api.deps import AdminDep, DatabaseDep, OfficerDep
from singlewindow.api.pages import Page
from singlewindow.core.fields import Limit, Offset, VersionNumber
from singlewindow.risk import services
from singlewindow.risk.learning import services as learning
from singlewindow.risk.model import RuleStatus
from singlewindow.risk.schemas import (
    ComparisonRead,
    DriftRead,
    ModelRead,
    ModelRollbackCreate,
    ModelRollbackRead,
    PolicyBase,
    RuleCreate,
    RuleRead,
    RuleStatusUpdate,
)

router = APIRouter(prefix="/risk", tags=["risk"])


@router.post("/rules", response_model=RuleRead, status_code=201)
def create_rule(body: RuleCreate, database: DatabaseDep, who: OfficerDep) -> RuleRead:
    """Create a selectivity rule (officer): criteria on the declaration, the channel it
    sends matching declarations to, its validity; recorded with who created it."""
    draft = services.RuleDraft(
        name=body.name,
        description=body.description,
        criteria=[c.model_dump() for c in body.criteria],
        channel=body.channel,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        forced=body.forced,
    )
    rule = services.create_rule(database, draft, who.username)
    return RuleRead.of(services.get_rule(database, rule.id))


@router.get("/rules", response_model=Page[RuleRead])
def list_rules(
    database: DatabaseDep,
    _: OfficerDep,
    status: RuleStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[RuleRead]:
    """The rules, a page at a time (officer), each with its selections, inspections,
    findings and hit rate; `status` keeps one status."""
    reports, total = services.list_rules(database, status, limit, offset)
    return Page[RuleRead](
        items=[RuleRead.of(r) for r in reports], total=total, limit=limit, offset=offset
    )


@router.get("/rules/{rule_id}", response_model=RuleRead)
def read_rule(rule_id: str, database: DatabaseDep, _: OfficerDep) -> RuleRead:
    """One rule with its selections, inspections, findings and hit rate (officer)."""
    return RuleRead.of(services.get_rule(database, rule_id))


@router.patch("/rules/{rule_id}", response_model=RuleRead)
def set_status(
    rule_id: str, body: RuleStatusUpdate, database: DatabaseDep, who: OfficerDep
) -> RuleRead:
    """Enable, disable or retire a rule."""
    services.set_rule_status(database, rule_id, body.status, who.username)
    return RuleRead.of(services.get_rule(database, rule_id))


@router.get("/policy", response_model=PolicyBase)
def read_policy(database: DatabaseDep, _: OfficerDep) -> PolicyBase:
    """The selectivity policy in force (officer): the random share, the model's red and
    yellow inspection rates and the AEO factor."""
    return PolicyBase.of(services.get_policy(database))


@router.put("/policy", response_model=PolicyBase)
def set_policy(body: PolicyBase, database: DatabaseDep, who: AdminDep) -> PolicyBase:
    """The random share, the model's red and yellow inspection rates and the AEO factor."""
    return PolicyBase.of(services.set_policy(database, body.to_domain(), who.username))


@router.get("/models", response_model=list[ModelRead])
def list_models(database: DatabaseDep, _: OfficerDep) -> list[ModelRead]:
    """Every model version: candidates, the one in service, retired ones."""
    return [ModelRead.of(v) for v in learning.models(database)]


@router.get("/models/{version}/comparison", response_model=ComparisonRead)
def compare_model(
    version: VersionNumber,
    database: DatabaseDep,
    _: OfficerDep,
    days: int = Query(30, ge=1, le=366, description="The latest period, in days of results"),
) -> ComparisonRead:
    """A candidate against the model in service on the latest inspection results (the report
    is kept with the candidate: promotion needs it)."""
    return ComparisonRead.of(learning.compare_latest(database, version, days=days))


@router.post("/models/{version}/promotion", response_model=ModelRead)
def promote_model(version: VersionNumber, database: DatabaseDep, who: AdminDep) -> ModelRead:
    """Put a model in service; the one in service retires. Refused (409, naming each failed
    gate with its figures) unless it was trained on enough inspected declarations with both
    outcomes, won a comparison on a period later than its training data, and would keep the
    red and yellow rates inside the policy."""
    return ModelRead.of(learning.promote(database, version, by=who.username))


@router.post("/models/rollback", response_model=ModelRollbackRead)
def roll_back_model(
    body: ModelRollbackCreate, database: DatabaseDep, who: AdminDep
) -> ModelRollbackRead:
    """Withdraw the model in service and put back the one it replaced (or none: selection on
    rules only), recorded with who and why; 409 when no model is in service."""
    return ModelRollbackRead.of(learning.rollback(database, by=who.username, reason=body.reason))


@router.get("/drift", response_model=DriftRead)
def read_drift(
    database: DatabaseDep, _: OfficerDep, weeks: int = Query(12, ge=1, le=104)
) -> DriftRead:
    """Weekly mean score, share at or above the selection threshold, hit rate and PSI."""
    return DriftRead.of(learning.drift(database, weeks=weeks))
