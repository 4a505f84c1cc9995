"""The tariff room's API shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from singlewindow.tariff import nomenclature
from singlewindow.tariff.model import RateKind, TariffLine
from singlewindow.tariff.nomenclature import GoodsNomenclature
from singlewindow.tariff.services import ImportReport


class NomenclatureBase(BaseModel):
    code: str = Field(description="digits only: 09, 0901, 090111")
    dotted_code: str
    description: str
    level: int = Field(description="2 (chapter), 4 (heading) or 6 (subheading)")


class NomenclatureRead(NomenclatureBase):
    section: str
    section_name: str
    path: list[NomenclatureBase] = Field(description="chapter, heading, subheading down to it")

    @classmethod
    def of(cls, entry: GoodsNomenclature) -> NomenclatureRead:
        return cls(
            code=entry.code,
            dotted_code=entry.dotted_code,
            description=entry.description,
            level=entry.level,
            section=entry.section,
            section_name=nomenclature.section(entry.section).name,
            path=[_base(e) for e in nomenclature.path(entry.code)],
        )


class NomenclatureDetail(NomenclatureRead):
    children: list[NomenclatureBase]

    @classmethod
    def of(cls, entry: GoodsNomenclature) -> NomenclatureDetail:
        read = NomenclatureRead.of(entry)
        return cls(
            **read.model_dump(), children=[_base(e) for e in nomenclature.children(entry.code)]
        )


def _base(entry: GoodsNomenclature) -> NomenclatureBase:
    return NomenclatureBase(
        code=entry.code,
        dotted_code=entry.dotted_code,
        description=entry.description,
        level=entry.level,
    )


class RateRead(BaseModel):
    text: str = Field(description="the rate as written, e.g. `20% min 3000/kg`")
    kind: RateKind


class TariffLineRead(BaseModel):
    country: str
    code: str
    dotted_code: str
    description: str
    quantity_unit: str
    valid_from: date
    valid_to: date | None
    mfn: RateRead
    atiga: RateRead | None = Field(description="None: no ATIGA preference on this line")
    vat: RateRead
    excise: RateRead | None
    reference_unit_value: Decimal | None
    path: list[NomenclatureBase] = Field(description="the HS chapter, heading and subheading")

    @classmethod
    def of(cls, line: TariffLine) -> TariffLineRead:
        rates = {
            name: None if rate is None else RateRead(text=str(rate), kind=rate.kind)
            for name, rate in line.rates().items()
        }
        return cls(
            country=line.country,
            code=line.code,
            dotted_code=line.dotted_code,
            description=line.description,
            quantity_unit=line.quantity_unit,
            valid_from=line.valid_from,
            valid_to=line.valid_to,
            reference_unit_value=line.reference_unit_value,
            path=[_base(e) for e in nomenclature.path(line.subheading)],
            **rates,
        )


class ImportReportRead(BaseModel):
    country: str
    lines: int
    inserted: int
    updated: int
    deleted: int
    chapters: int
    revision: int

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportRead:
        return cls(**vars(report))
