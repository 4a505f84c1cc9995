"""The tariff router: the HS nomenclature and the national schedules, read by any user,
loaded by an administrator."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from singlewindow.api.deps import AdminDep, DatabaseDep, PrincipalDep
from singlewindow.api.pages import Page
from singlewindow.core.clock import today
from singlewindow.core.errors import Problem
from singlewindow.core.fields import Limit, Offset
from singlewindow.tariff import nomenclature, services
from singlewindow.tariff.errors import InvalidSchedule
from singlewindow.tariff.schemas import (
    ApplicableMeasuresRead,
    ImportReportRead,
    MeasureImportReportRead,
    NomenclatureDetail,
    NomenclatureRead,
    TariffLineRead,
)

router = APIRouter(prefix="/tariff", tags=["tariff"])


async def csv_body(request: Request) -> str:
    """The request body as text: a schedule file is sent as `text/csv`, not JSON."""
    try:
        return (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidSchedule([Problem("body", "the body is not UTF-8 text")]) from None


async def json_body(request: Request) -> bytes:
    """The request body as bytes: a measure file is read (and every problem located) by
    `measure_file`, not by FastAPI's model binding. Its size is bounded by the node's body
    limit for `/tariff/schedules/` and by `measure_file.MAXIMUM_BYTES`."""
    return await request.body()


@router.get("/nomenclature", response_model=list[NomenclatureRead])
def search_nomenclature(
    _: PrincipalDep,
    q: str = Query("", description="words (all must match) or a code prefix"),
    prefix: str = Query("", description="keep codes starting with this"),
    limit: Limit = 50,
) -> list[NomenclatureRead]:
    """Search the Harmonized System nomenclature by words or code prefix."""
    return [NomenclatureRead.of(e) for e in nomenclature.search(q, prefix=prefix, limit=limit)]


@router.get("/nomenclature/{code}", response_model=NomenclatureDetail)
def get_nomenclature(code: str, _: PrincipalDep) -> NomenclatureDetail:
    """One nomenclature code: its section, the chapter, heading and subheading above it,
    and the codes below it."""
    return NomenclatureDetail.of(nomenclature.get(code))


@router.get("/schedules/{country}/lines", response_model=Page[TariffLineRead])
def search_schedule(
    country: str,
    database: DatabaseDep,
    _: PrincipalDep,
    q: str = Query("", description="words (all must match) or a code prefix"),
    prefix: str = Query("", description="keep codes starting with this"),
    on: date | None = Query(None, description="only lines in force that day; default: all"),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[TariffLineRead]:
    """A country's national tariff lines, a page at a time: by words, code prefix, and
    the day they are in force."""
    lines, total = services.search_schedule_page(
        database, country.upper(), q, on, prefix=prefix, limit=limit, offset=offset
    )
    items = [TariffLineRead.of(line) for line in lines]
    return Page[TariffLineRead](items=items, total=total, limit=limit, offset=offset)


@router.get("/schedules/{country}/lines/{code}", response_model=TariffLineRead)
def get_line(
    country: str,
    code: str,
    database: DatabaseDep,
    _: PrincipalDep,
    on: date | None = Query(None, description="default: today"),
) -> TariffLineRead:
    """The tariff line of a code in force on a day (default: today), with its MFN,
    ATIGA, VAT and excise rates."""
    return TariffLineRead.of(services.find_line(database, country.upper(), code, on or today()))


@router.post(
    "/schedules/{country}",
    response_model=ImportReportRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "a schedule in the format of docs/tariff-csv.md",
        }
    },
)
def import_schedule(
    country: str,
    database: DatabaseDep,
    _: AdminDep,
    body: Annotated[str, Depends(csv_body)],
    replace: bool = Query(False, description="delete the country's stored schedule first"),
) -> ImportReportRead:
    """Load a country's tariff schedule from CSV (admin; the format of docs/tariff-csv.md),
    all or nothing: if a line is wrong, nothing is stored and the answer lists the problems.
    A line replaces the stored one of the same code and start date; `replace` deletes the
    country's stored schedule first."""
    report = services.import_schedule(database, country.upper(), body, replace=replace)
    return ImportReportRead.of(report)


@router.get("/schedules/{country}/measures/{code}", response_model=ApplicableMeasuresRead)
def applicable_measures(
    country: str,
    code: str,
    database: DatabaseDep,
    _: PrincipalDep,
    origin: str = Query(..., pattern=r"^[A-Za-z]{2}$", description="country of origin, e.g. CN"),
    on: date | None = Query(None, description="default: today"),
    additional_code: str | None = Query(
        None, max_length=20, description="e.g. the anti-dumping code of a named producer"
    ),
) -> ApplicableMeasuresRead:
    """Everything that applies to a code (a national line, or an HS chapter, heading or
    subheading) for an origin on a day, each measure with its area, duty expression,
    conditions and citation: what a trader asks before shipping."""
    answer = services.applicable_measures(
        database, country.upper(), code, origin, on or today(), additional_code or None
    )
    return ApplicableMeasuresRead.of(answer)


@router.post(
    "/schedules/{country}/measures",
    response_model=MeasureImportReportRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "a measure file in the format of docs/tariff-measures.md",
        }
    },
)
def import_measures(
    country: str,
    database: DatabaseDep,
    _: AdminDep,
    body: Annotated[bytes, Depends(json_body)],
    replace: bool = Query(False, description="delete the country's stored measure data first"),
) -> MeasureImportReportRead:
    """Load a country's measure file (admin; docs/tariff-measures.md), all or nothing: if
    anything is wrong, nothing is stored and the answer lists every problem at its place in
    the file. An entry replaces the stored one of the same id; `replace` deletes the
    country's stored measure data first."""
    report = services.import_measures(database, country.upper(), body, replace=replace)
    return MeasureImportReportRead.of(report)


@router.get("/schedules/{country}/measure-file", response_model=dict[str, Any])
def stored_measure_file(country: str, database: DatabaseDep, _: PrincipalDep) -> dict[str, Any]:
    """The country's stored measure data as a measure file (docs/tariff-measures.md)."""
    return services.stored_measure_file(database, country.upper())
