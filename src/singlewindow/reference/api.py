"""The reference router: the office register and the exchange-rate table, read by any
authenticated user, maintained by an administrator."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from singlewindow.api.deps import AdminDep, DatabaseDep, PrincipalDep, SettingsDep
from singlewindow.core.clock import today
from singlewindow.reference import services
from singlewindow.reference.model import OfficeKind, Procedure
from singlewindow.reference.schemas import (
    ExchangeRateCreate,
    ExchangeRateRead,
    OfficeRead,
    OfficeRegisterRead,
    OfficeUpdate,
    RateLoadReportRead,
    RateTableRead,
)

router = APIRouter(tags=["reference"])


@router.get("/offices", response_model=OfficeRegisterRead)
def list_offices(
    database: DatabaseDep,
    settings: SettingsDep,
    _: PrincipalDep,
    on: date | None = Query(None, description="only offices open that day"),
    procedure: Procedure | None = Query(None, description="only offices competent for it"),
    kind: OfficeKind | None = Query(None),
) -> OfficeRegisterRead:
    """The node's register of customs offices (entries marked `sample` are not official)."""
    country = settings.country
    offices = services.list_offices(database, country, on=on, procedure=procedure, kind=kind)
    return OfficeRegisterRead.of(country, offices)


@router.get("/offices/{code}", response_model=OfficeRead)
def get_office(
    code: str, database: DatabaseDep, settings: SettingsDep, _: PrincipalDep
) -> OfficeRead:
    """One office of the register."""
    return OfficeRead.of(services.get_office(database, settings.country, code))


@router.put("/offices/{code}", response_model=OfficeRead)
def register_office(
    code: str,
    body: OfficeUpdate,
    response: Response,
    database: DatabaseDep,
    settings: SettingsDep,
    _: AdminDep,
) -> OfficeRead:
    """Enter an office in the register, or replace its entry (201 when new); close an
    office by giving its last day as `valid_to`."""
    office, created = services.register_office(
        database, settings.country, body.to_office(code.upper())
    )
    response.status_code = 201 if created else 200
    return OfficeRead.of(office)


@router.get("/exchange-rates", response_model=RateTableRead)
def list_rates(
    database: DatabaseDep,
    settings: SettingsDep,
    _: PrincipalDep,
    currency: str | None = Query(None, pattern=r"^[A-Za-z]{3}$"),
    on: date | None = Query(None, description="only rates in force that day; default: all"),
) -> RateTableRead:
    """The published rates, by currency and date (rates marked `sample` are not official)."""
    country = settings.country
    rates = services.list_rates(
        database, country, currency=currency.upper() if currency else None, on=on
    )
    return RateTableRead.of(country, services.national_currency(country), rates)


@router.get("/exchange-rates/{currency}", response_model=ExchangeRateRead)
def get_rate(
    currency: str,
    database: DatabaseDep,
    settings: SettingsDep,
    _: PrincipalDep,
    on: date | None = Query(None, description="default: today"),
) -> ExchangeRateRead:
    """The rate of one currency in force on a day."""
    return ExchangeRateRead.of(
        services.find_rate(database, settings.country, currency, on or today())
    )


@router.post("/exchange-rates", response_model=RateLoadReportRead)
def publish_rates(
    rates: Annotated[
        list[ExchangeRateCreate], Body(max_length=services.MAX_RATES, description="the table")
    ],
    database: DatabaseDep,
    settings: SettingsDep,
    _: AdminDep,
) -> RateLoadReportRead:
    """Publish a dated rate table, all or nothing: a period that overlaps another of the
    same currency, in the table or already published, refuses the whole load."""
    entries = [rate.to_entry() for rate in rates]
    return RateLoadReportRead.of(services.publish_rates(database, settings.country, entries))
