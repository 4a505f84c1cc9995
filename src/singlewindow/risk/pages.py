"""Selectivity in the console: risk profiles (rules) with their hit rates, the selectivity
policy, and the learned model's registry. Every action calls the same services as the JSON API
(`risk/api.py`), with the same roles: officers and admins manage profiles and compare models;
only admins change the policy or put a model in service."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.core.errors import Conflict, Invalid, Problem
from singlewindow.core.fields import Offset, VersionNumber
from singlewindow.jobs import risk_training
from singlewindow.jobs.services import Jobs
from singlewindow.risk import services
from singlewindow.risk.learning import services as learning
from singlewindow.risk.learning.promotion import (
    ComparisonEvidence,
    PromotionGates,
    comparison_refusal,
)
from singlewindow.risk.learning.registry import ModelVersion
from singlewindow.risk.learning.repository import ModelStatus
from singlewindow.risk.model import FIELDS, Channel, Operator, RuleStatus
from singlewindow.risk.schemas import (
    DriftRead,
    ModelRead,
    ModelRollbackCreate,
    PolicyBase,
    RuleCreate,
    RuleRead,
)
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import AdminPage, OfficerPage
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/risk/profiles", N_("Risk profiles"), Role.OFFICER, Role.ADMIN, order=30),
    entry("/risk/policy", N_("Selectivity policy"), Role.OFFICER, Role.ADMIN, order=31),
    entry("/risk/models", N_("Risk models"), Role.OFFICER, Role.ADMIN, order=32),
]

# The words of statuses the pages show by their value, for the catalogue.
WORDS = (N_("active"), N_("disabled"), N_("retired"), N_("candidate"), N_("in_service"))

PAGE_SIZE = 50
CRITERIA_ROWS = 3  # blank criterion rows the form offers; blank ones are left out
RULE_FIELDS = ("name", "description", "channel", "valid_from", "valid_to")
POLICY_FIELDS = ("random_share", "random_channel", "red_rate", "yellow_rate", "aeo_factor",
                 "aeo_random_share")
LIST_OPERATORS = (Operator.IN, Operator.NOT_IN)


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _text(form: FormData, name: str, longest: int = 600) -> str:
    value = form.get(name)
    return value.strip()[:longest] if isinstance(value, str) else ""


def _field(path: tuple[Any, ...] | list[Any] | str) -> str:
    """A problem's path (`criteria.0.value`, or pydantic's location) as the form's field name
    (`criteria-0-value`)."""
    parts = path.split(".") if isinstance(path, str) else [str(p) for p in path]
    return "-".join(parts) if parts and parts != [""] else "form"


# Risk profiles


def _blank_rule() -> dict[str, Any]:
    return {**dict.fromkeys(RULE_FIELDS, ""), "channel": Channel.RED.value, "forced": False,
            "criteria": [{"field": "", "operator": "", "value": ""}
                         for _ in range(CRITERIA_ROWS)]}


def _rule_values(form: FormData) -> dict[str, Any]:
    """What was typed, as the form holds it."""
    values: dict[str, Any] = {name: _text(form, name) for name in RULE_FIELDS}
    values["description"] = _text(form, "description", 2000)
    values["forced"] = form.get("forced") in ("on", "true", "1")
    indexes = sorted({int(key.split("-")[1]) for key in form
                      if key.startswith("criteria-") and key.split("-")[1].isdigit()
                      and int(key.split("-")[1]) < 20})
    values["criteria"] = [{f: _text(form, f"criteria-{n}-{f}") for f in ("field", "operator",
                                                                        "value")}
                          for n in indexes]
    return values


def _criterion_value(operator: str, value: str) -> object:
    # A list operator takes its values comma-separated, as an officer types them.
    if operator in LIST_OPERATORS:
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def _rule_body(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the API's RuleCreate body (blank criterion rows and blank optional
    fields left out)."""
    body: dict[str, Any] = {k: values[k] for k in RULE_FIELDS if values[k] != ""}
    body["name"] = values["name"]
    body["forced"] = values["forced"]
    body["criteria"] = [
        {"field": c["field"], "operator": c["operator"],
         "value": _criterion_value(c["operator"], c["value"])}
        for c in values["criteria"] if c["field"] or c["operator"] or c["value"]
    ]
    return body


def _profiles_page(request: Request, principal: Principal, values: dict[str, Any],
                   errors: dict[str, str], status: RuleStatus | None = None, offset: int = 0,
                   status_code: int = 200) -> Response:
    reports, total = services.list_rules(_database(request), status, PAGE_SIZE, offset)
    # The API's view of each rule: the same figures, and criteria as it shows them.
    rules = [RuleRead.of(r) for r in reports]
    # Criterion rows keep their position so that `criteria-N-...` errors land beside them.
    while len(values["criteria"]) < CRITERIA_ROWS:
        values["criteria"].append({"field": "", "operator": "", "value": ""})
    names = {*RULE_FIELDS, "forced", "criteria"} | {
        f"criteria-{n}-{f}" for n in range(len(values["criteria"]))
        for f in ("field", "operator", "value")}
    elsewhere = [f"{n}: {m}" for n, m in errors.items() if n not in names]
    return render(request, "risk/profiles.html", {
        "rules": rules, "total": total, "offset": offset, "page_size": PAGE_SIZE,
        "status": status.value if status else "", "statuses": list(RuleStatus),
        "channels": list(Channel), "operators": list(Operator), "fields": sorted(FIELDS),
        "form": values, "errors": errors, "elsewhere": elsewhere,
    }, status_code=status_code)


@router.get("/risk/profiles")
def profiles(
    request: Request,
    principal: OfficerPage,
    status: Annotated[RuleStatus | None, Query()] = None,
    offset: Offset = 0,
) -> Response:
    return _profiles_page(request, principal, _blank_rule(), {}, status, offset)


@router.post("/risk/profiles")
async def create_profile(request: Request, principal: OfficerPage) -> Response:
    """Create a profile from the form: the API's schema, then `services.create_rule`'s own
    checks; any error re-renders the form with what was typed (422), storing nothing."""
    form = await request.form()
    values = _rule_values(form)
    # Blank criterion rows are left out of the body; map the body's indexes back to rows.
    rows = [n for n, c in enumerate(values["criteria"]) if c["field"] or c["operator"]
            or c["value"]]

    def row_field(path: tuple[Any, ...] | list[Any] | str) -> str:
        parts = path.split(".") if isinstance(path, str) else [str(p) for p in path]
        if len(parts) >= 2 and parts[0] == "criteria" and parts[1].isdigit() \
                and int(parts[1]) < len(rows):
            parts[1] = str(rows[int(parts[1])])
        return _field(parts)

    try:
        body = RuleCreate.model_validate(_rule_body(values))
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            errors.setdefault(row_field(error["loc"]), error["msg"])
        return _profiles_page(request, principal, values, errors, status_code=422)
    draft = services.RuleDraft(
        name=body.name, description=body.description,
        criteria=[c.model_dump() for c in body.criteria], channel=body.channel,
        valid_from=body.valid_from, valid_to=body.valid_to, forced=body.forced,
    )
    try:
        services.create_rule(_database(request), draft, principal.username)
    except Invalid as refused:
        problems: list[Problem] = refused.problems
        found = {row_field(p.path): p.message for p in problems}
        return _profiles_page(request, principal, values, found or {"form": refused.detail},
                              status_code=422)
    return RedirectResponse("/risk/profiles", status_code=303)


@router.post("/risk/profiles/{rule_id}/status")
def set_profile_status(
    request: Request,
    rule_id: str,
    principal: OfficerPage,
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Enable, disable or retire a profile (the API's PATCH); a retired one stays retired
    (the service refuses, and the console shows its 409 page)."""
    try:
        wanted = RuleStatus(status)
    except ValueError:
        raise Invalid([Problem("status", f"{status!r} is not a profile status")]) from None
    services.set_rule_status(_database(request), rule_id, wanted, principal.username)
    return RedirectResponse("/risk/profiles", status_code=303)


# Selectivity policy


def _policy_values(policy: PolicyBase) -> dict[str, str]:
    return {name: str(getattr(policy, name)) for name in POLICY_FIELDS} | {
        "random_channel": policy.random_channel.value}


def _policy_page(request: Request, principal: Principal, values: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    policy = PolicyBase.of(services.get_policy(_database(request)))
    return render(request, "risk/policy.html", {
        "policy": policy, "form": values or _policy_values(policy), "errors": errors or {},
        "channels": [c for c in Channel if c.needs_inspection()],
        "may_change": principal.role is Role.ADMIN,
    }, status_code=status_code)


def _share(text: str) -> float | str:
    """A typed share as the JSON number the API's strict schema takes (a text that is no
    number stays text, for the schema to refuse in its words)."""
    try:
        return float(text)
    except ValueError:
        return text


@router.get("/risk/policy")
def policy(request: Request, principal: OfficerPage) -> Response:
    return _policy_page(request, principal)


@router.post("/risk/policy")
async def change_policy(request: Request, principal: AdminPage) -> Response:
    """The API's PUT: its schema, then `services.set_policy`'s checks (admin)."""
    form = await request.form()
    values = {name: _text(form, name, 40) for name in POLICY_FIELDS}
    document: dict[str, Any] = {name: _share(values[name]) for name in POLICY_FIELDS
                                if name != "random_channel" and values[name] != ""}
    document["random_channel"] = values["random_channel"] or Channel.YELLOW.value
    try:
        body = PolicyBase.model_validate(document)
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            errors.setdefault(_field(error["loc"]), error["msg"])
        return _policy_page(request, principal, values, errors, 422)
    try:
        services.set_policy(_database(request), body.to_domain(), principal.username)
    except Invalid as refused:
        found = {_field(p.path): p.message for p in refused.problems}
        return _policy_page(request, principal, values, found or {"form": refused.detail}, 422)
    return RedirectResponse("/risk/policy", status_code=303)


# The learned model


@dataclass(frozen=True)
class KeptComparison:
    """A version's latest comparison, as `compare_latest` kept it with the version."""

    in_service: int | None
    period_from: str
    period_to: str
    inspected: int
    hits: int
    inspection_rate: float
    candidate_precision: float
    candidate_auc: float | None
    in_service_precision: float | None
    in_service_auc: float | None
    verdict: str | None  # why it does not win; None when it does


def _kept_comparison(version: ModelVersion) -> KeptComparison | None:
    document = version.metrics.get("comparison") or {}
    evidence = ComparisonEvidence.from_document(document.get("evidence") or {})
    if evidence is None:  # none yet, or a report from before the gates
        return None
    return KeptComparison(
        evidence.in_service, evidence.period_from.isoformat(), evidence.period_to.isoformat(),
        evidence.inspected, evidence.hits, evidence.inspection_rate,
        evidence.candidate_precision, _finite(evidence.candidate_auc),
        evidence.in_service_precision,
        _finite(evidence.in_service_auc) if evidence.in_service_auc is not None else None,
        comparison_refusal(evidence, PromotionGates()),
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# What the registry page's job forms show before anything is typed.
BLANK_JOB_FORMS = {"note": "", "until": "", "holdout_days": str(learning.COMPARISON_DAYS),
                   "since": "", "before": ""}


def _models_page(request: Request, principal: Principal, weeks: int = 12,
                 side: tuple[int | None, int | None] = (None, None), message: str = "",
                 errors: dict[str, str] | None = None, reason: str = "",
                 typed: dict[str, str] | None = None, status_code: int = 200) -> Response:
    database = _database(request)
    versions = learning.models(database)
    by_number = {v.version: v for v in versions}
    comparisons = {v.version: _kept_comparison(v) for v in versions}
    # Two versions side by side: what each was trained on and how it last compared.
    chosen = [by_number[n] for n in side if n is not None and n in by_number]
    drift = DriftRead.of(learning.drift(database, weeks=weeks))
    return render(request, "risk/models.html", {
        "models": [ModelRead.of(v) for v in versions], "comparisons": comparisons,
        "training": {v.version: v.metrics.get("training", {}) for v in versions},
        "side": [ModelRead.of(v) for v in chosen], "left": side[0], "right": side[1],
        "drift": drift, "weeks": weeks, "message": message, "errors": errors or {},
        "reason": reason, "may_promote": principal.role is Role.ADMIN,
        "typed": {**BLANK_JOB_FORMS, **(typed or {})},
        "in_service": any(v.status is ModelStatus.IN_SERVICE for v in versions),
    }, status_code=status_code)


@router.get("/risk/models")
def models(
    request: Request,
    principal: OfficerPage,
    weeks: Annotated[int, Query(ge=1, le=104)] = 12,
    left: Annotated[int | None, Query(ge=1)] = None,
    right: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    return _models_page(request, principal, weeks, (left, right))


@router.post("/risk/models/{version}/comparison")
def compare_model(
    request: Request,
    version: VersionNumber,
    principal: OfficerPage,
    days: Annotated[int, Form(ge=1, le=366)] = 30,
) -> Response:
    """Compare a version with the one in service on the latest results (the API's GET; a
    POST here because the report is kept with the version, for whoever promotes it)."""
    try:
        learning.compare_latest(_database(request), version, days=days)
    except Conflict as refused:  # no later results to judge it on yet
        return _models_page(request, principal, message=refused.detail, status_code=409)
    return RedirectResponse(f"/risk/models#model-{version}", status_code=303)


@router.post("/risk/models/{version}/promotion")
def promote_model(request: Request, version: VersionNumber, principal: AdminPage) -> Response:
    """Put a version in service through the promotion gates (admin); a refusal names each
    failed gate with its figures, on the registry's page."""
    try:
        learning.promote(_database(request), version, by=principal.username)
    except Conflict as refused:  # a gate failed, or not a candidate
        return _models_page(request, principal, message=refused.detail, status_code=409)
    return RedirectResponse(f"/risk/models#model-{version}", status_code=303)


@router.post("/risk/models/rollback")
def roll_back_model(
    request: Request,
    principal: AdminPage,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Withdraw the model in service and put back the one it replaced (admin), with why: the
    API's schema, then `learning.rollback`."""
    try:
        body = ModelRollbackCreate.model_validate({"reason": reason.strip()})
    except ValidationError as invalid:
        return _models_page(request, principal, errors={"reason": invalid.errors()[0]["msg"]},
                            reason=reason, status_code=422)
    try:
        learning.rollback(_database(request), by=principal.username, reason=body.reason)
    except Conflict as refused:  # no model in service
        return _models_page(request, principal, message=refused.detail, status_code=409)
    return RedirectResponse("/risk/models", status_code=303)


def _jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.node.jobs
    return jobs


def _day(text: str, field: str, errors: dict[str, str]) -> date | None:
    """A typed day (YYYY-MM-DD), None when blank; a bad one is said beside its field."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[field] = "a day as YYYY-MM-DD"
        return None


@router.post("/risk/models/train")
def train_model(
    request: Request,
    principal: AdminPage,
    note: Annotated[str, Form(max_length=500)] = "",
    until: Annotated[str, Form(max_length=20)] = "",
    holdout_days: Annotated[int, Form(ge=0, le=366)] = learning.COMPARISON_DAYS,
) -> Response:
    """Train a candidate in the background (admin), as `singlewindow risk train` does: the
    job's page follows it, and says why if the history is too small."""
    errors: dict[str, str] = {}
    last_day = _day(until, "until", errors)
    if errors:
        return _models_page(request, principal, errors=errors, status_code=422, typed={
            "note": note, "until": until, "holdout_days": str(holdout_days)})
    job_id = _jobs(request).submit(
        risk_training.TRAIN,
        risk_training.training_payload(note=note.strip(), until=last_day,
                                       holdout_days=holdout_days),
        principal,
    )
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/risk/models/backfill")
def backfill_scores(
    request: Request,
    principal: AdminPage,
    since: Annotated[str, Form(max_length=20)] = "",
    before: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Score the stored selections lodged from `since` (to `before`, exclusive) again with
    the model in service, in the background (admin), as `singlewindow risk score` does."""
    errors: dict[str, str] = {}
    first = _day(since, "since", errors)
    if first is None and "since" not in errors:
        errors["since"] = "the first day to score again"
    last = _day(before, "before", errors)
    if first is not None and last is not None and last <= first:
        errors["before"] = "a day after the first one"
    if errors or first is None:
        return _models_page(request, principal, errors=errors, status_code=422,
                            typed={"since": since, "before": before})
    job_id = _jobs(request).submit(
        risk_training.BACKFILL, risk_training.backfill_payload(first, last), principal)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
