"""HTTP routes of the enforcement room, for customs officers only (alerts and their criteria
are intelligence: traders never see them): raise and withdraw alerts, read those raised here
and received with their hits, record and share seizures, set up joint operations and read
an operation's board."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from singlewindow.api.deps import OfficerDep
from singlewindow.core.fields import Limit
from singlewindow.enforcement.schemas import (
    ALERT_PATTERN,
    OPERATION_PATTERN,
    SEIZURE_PATTERN,
    AlertCreate,
    AlertRead,
    BoardRead,
    HitRead,
    OperationCreate,
    OperationRead,
    SeizureCreate,
    SeizureRead,
    WithdrawalCreate,
)
from singlewindow.enforcement.services import Enforcement

router = APIRouter(prefix="/enforcement", tags=["enforcement"])

AlertId = Annotated[str, Path(pattern=ALERT_PATTERN, description="e.g. VN-ALERT-12")]
SeizureId = Annotated[str, Path(pattern=SEIZURE_PATTERN, description="e.g. KH-SEIZURE-3")]
OperationCode = Annotated[str, Path(pattern=OPERATION_PATTERN, max_length=40)]


async def enforcement(request: Request) -> Enforcement:
    """The node's `Enforcement`, wired with the node (`Node.enforcement`)."""
    service: Enforcement = request.app.state.node.enforcement
    return service


EnforcementDep = Annotated[Enforcement, Depends(enforcement)]


@router.post("/alerts", response_model=AlertRead, status_code=201)
def raise_alert(body: AlertCreate, service: EnforcementDep, who: OfficerDep) -> AlertRead:
    """Raise an alert: every partner receives it, or the members of the joint operation it
    names; each turns its criteria into a risk profile at once and reports its hits here."""
    return AlertRead.of(service.raise_alert(body.to_domain(), who))


@router.get("/alerts", response_model=list[AlertRead])
def alerts(service: EnforcementDep, who: OfficerDep, raised: bool | None = None,
           limit: Limit = 100) -> list[AlertRead]:
    """Alerts raised here (raised=true), received (raised=false) or both, with their hits."""
    return [AlertRead.of(v) for v in service.alerts(who, raised, limit)]


@router.get("/alerts/{alert_id}", response_model=AlertRead)
def alert(alert_id: AlertId, service: EnforcementDep, who: OfficerDep) -> AlertRead:
    return AlertRead.of(service.alert(alert_id, who))


@router.post("/alerts/{alert_id}/withdrawal", response_model=AlertRead)
def withdraw(alert_id: AlertId, body: WithdrawalCreate, service: EnforcementDep,
             who: OfficerDep) -> AlertRead:
    """Withdraw one of our alerts, with the reason: its profiles retire everywhere."""
    return AlertRead.of(service.withdraw_alert(alert_id, body.reason, who))


@router.get("/hits", response_model=list[HitRead])
def hits(service: EnforcementDep, who: OfficerDep, alert: str | None = None,
         limit: Limit = 100) -> list[HitRead]:
    """Declarations alerts selected: here, and those partners reported for our alerts."""
    return [HitRead.of(h) for h in service.hits(who, alert, limit)]


@router.post("/seizures", response_model=SeizureRead, status_code=201)
def record_seizure(body: SeizureCreate, service: EnforcementDep,
                   who: OfficerDep) -> SeizureRead:
    return SeizureRead.of(service.record_seizure(body.to_domain(), who))


@router.get("/seizures", response_model=list[SeizureRead])
def seizures(service: EnforcementDep, who: OfficerDep, limit: Limit = 100) -> list[SeizureRead]:
    """Seizures recorded here and those partners shared."""
    return [SeizureRead.of(s) for s in service.seizures(who, limit)]


@router.get("/seizures/{seizure_id}", response_model=SeizureRead)
def seizure(seizure_id: SeizureId, service: EnforcementDep, who: OfficerDep) -> SeizureRead:
    return SeizureRead.of(service.seizure(seizure_id, who))


@router.post("/seizures/{seizure_id}/share", response_model=SeizureRead)
def share(seizure_id: SeizureId, service: EnforcementDep, who: OfficerDep) -> SeizureRead:
    """Share a seizure: with the operation's members if an operation's alert led to it,
    else with every partner."""
    return SeizureRead.of(service.share_seizure(seizure_id, who))


@router.post("/operations", response_model=OperationRead, status_code=201)
def create_operation(body: OperationCreate, service: EnforcementDep,
                     who: OfficerDep) -> OperationRead:
    """A joint operation this node coordinates; its members are told at once."""
    return OperationRead.of(service.create_operation(
        body.code, body.name, body.members, body.starts_on, body.ends_on, who))


@router.get("/operations", response_model=list[OperationRead])
def operations(service: EnforcementDep, who: OfficerDep) -> list[OperationRead]:
    return [OperationRead.of(o) for o in service.operations(who)]


@router.get("/operations/{code}", response_model=BoardRead)
def board(code: OperationCode, service: EnforcementDep, who: OfficerDep) -> BoardRead:
    """A joint operation's board: its alerts, their hits and the seizures."""
    return BoardRead.of(service.board(code, who))
