"""The tariff room's API shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from singlewindow.tariff import nomenclature
from singlewindow.tariff.measures import DocumentRole, DocumentType, MeasureNature, MeasureType
from singlewindow.tariff.model import Rate, RateKind, TariffLine
from singlewindow.tariff.nomenclature import GoodsNomenclature
from singlewindow.tariff.services import (
    ApplicableMeasure,
    ApplicableMeasures,
    ImportReport,
    MeasureImportReport,
)


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

    @classmethod
    def of(cls, rate: Rate) -> RateRead:
        return cls(text=str(rate), kind=rate.kind)


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


class MeasureImportReportRead(BaseModel):
    country: str
    measures: int = Field(description="entries of each kind in the file")
    areas: int
    agreements: int
    additional_codes: int
    document_types: int
    replaced: int = Field(description="stored entries replaced by the file's of the same id")
    deleted: int = Field(description="stored entries removed first (replace)")
    revision: int = Field(description="the schedule's revision after the import")

    @classmethod
    def of(cls, report: MeasureImportReport) -> MeasureImportReportRead:
        return cls(**vars(report))


class DocumentTypeRead(BaseModel):
    code: str = Field(description="e.g. `FORM-E`, `RCEP-CO`, `PERMIT`")
    description: str
    role: DocumentRole

    @classmethod
    def of(cls, document_type: DocumentType) -> DocumentTypeRead:
        return cls(
            code=document_type.code,
            description=document_type.description,
            role=document_type.role,
        )


class ApplicableMeasureRead(BaseModel):
    id: str = Field(description="the measure's id, as explanations cite it")
    type: MeasureType
    label: str = Field(description="the measure type in words, e.g. `anti-dumping duty`")
    nature: MeasureNature
    goods_code: str = Field(description="the code the measure sits on (inherited down the tree)")
    area: str = Field(description="geographical area id: a country, a group, or 1011")
    area_description: str
    excluded: list[str] = Field(description="countries of the area it does not apply to")
    additional_code: str | None
    additional_code_description: str | None
    duty: RateRead | None = Field(description="the duty expression; None for a prohibition or "
                                  "restriction")
    conditions: list[list[DocumentTypeRead]] = Field(
        description="each condition's accepted document types (any one of them meets it)"
    )
    agreement: str | None
    agreement_name: str | None
    valid_from: date
    valid_to: date | None
    description: str
    citation: str = Field(description="how an explanation of a duty names the measure")

    @classmethod
    def of(cls, found: ApplicableMeasure) -> ApplicableMeasureRead:
        measure = found.measure
        return cls(
            id=measure.id,
            type=measure.type,
            label=measure.type.label,
            nature=found.nature,
            goods_code=measure.goods_code,
            area=measure.area,
            area_description=found.area_description,
            excluded=sorted(measure.excluded),
            additional_code=measure.additional_code,
            additional_code_description=found.additional_code_description,
            duty=None if measure.duty is None else RateRead.of(measure.duty),
            conditions=[[DocumentTypeRead.of(t) for t in c] for c in found.conditions],
            agreement=measure.agreement,
            agreement_name=found.agreement_name,
            valid_from=measure.valid_from,
            valid_to=measure.valid_to,
            description=measure.title,
            citation=measure.citation,
        )


class ApplicableMeasuresRead(BaseModel):
    country: str
    code: str
    origin: str
    on: date
    additional_code: str | None
    line: TariffLineRead | None = Field(
        description="the line in force; None for an HS code the schedule has no line of"
    )
    measures: list[ApplicableMeasureRead] = Field(
        description="everything that applies, by measure type, most specific code first"
    )

    @classmethod
    def of(cls, answer: ApplicableMeasures) -> ApplicableMeasuresRead:
        return cls(
            country=answer.country,
            code=answer.code,
            origin=answer.origin,
            on=answer.on,
            additional_code=answer.additional_code,
            line=None if answer.line is None else TariffLineRead.of(answer.line),
            measures=[ApplicableMeasureRead.of(m) for m in answer.measures],
        )
