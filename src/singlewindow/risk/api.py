"""HTTP routes of selectivity: officers read rules and their hit rates; admins manage them."""

from __future__ import annotations

from fastapi import APIRouter, Query

from singlewindow.api.deps import AdminDep, DatabaseDep, OfficerDep
from singlewindow.api.pages import Page
from singlewindow.risk import services
from singlewindow.risk.model import RuleStatus, SelectivityPolicy
from singlewindow.risk.schemas import PolicyBase, RuleCreate, RuleRead, RuleStatusUpdate

router = APIRouter(prefix="/risk", tags=["risk"])


@router.post("/rules", response_model=RuleRead, status_code=201)
def create_rule(body: RuleCreate, database: DatabaseDep, who: OfficerDep) -> RuleRead:
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
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[RuleRead]:
    reports, total = services.list_rules(database, status, limit, offset)
    return Page[RuleRead](
        items=[RuleRead.of(r) for r in reports], total=total, limit=limit, offset=offset
    )


@router.get("/rules/{rule_id}", response_model=RuleRead)
def read_rule(rule_id: str, database: DatabaseDep, _: OfficerDep) -> RuleRead:
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
    policy = services.get_policy(database)
    return PolicyBase(random_share=policy.random_share, random_channel=policy.random_channel)


@router.put("/policy", response_model=PolicyBase)
def set_policy(body: PolicyBase, database: DatabaseDep, who: AdminDep) -> PolicyBase:
    services.set_policy(
        database, SelectivityPolicy(body.random_share, body.random_channel), who.username
    )
    return body
