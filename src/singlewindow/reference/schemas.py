"""The reference room's API shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.reference.model import ExchangeRate, Office, OfficeKind, Procedure
from singlewindow.reference.services import RateEntry, RateLoadReport

SAMPLE_NOTICE = (
    "SAMPLE reference data shipped with the software, not the administration's own: "
    "do not use it for real declarations"
)


def notice(sample: bool) -> str | None:
    return SAMPLE_NOTICE if sample else None


class OfficeBase(BaseModel):
    name: str = Field(min_length=1, max_length=120, examples=["Ho Chi Minh City, Cat Lai seaport"])
    kind: OfficeKind
    procedures: list[Procedure] = Field(
        min_length=1, max_length=3, description="what the office is competent for"
    )
    valid_from: date = Field(description="the first day it is open")
    valid_to: date | None = Field(None, description="the last day it is open; none: open-ended")


class OfficeUpdate(OfficeBase):
    """An entry of the register, as the administrator enters or replaces it."""

    model_config = ConfigDict(extra="forbid")

    def to_office(self, code: str) -> Office:
        return Office(
            code=code,
            name=self.name,
            kind=self.kind,
            procedures=frozenset(self.procedures),
            valid_from=self.valid_from,
            valid_to=self.valid_to,
        )


class OfficeRead(OfficeBase):
    code: str
    country: str
    sample: bool = Field(description="a packaged sample entry, not the administration's own")

    @classmethod
    def of(cls, office: Office) -> OfficeRead:
        return cls(
            code=office.code,
            country=office.country,
            name=office.name,
            kind=office.kind,
            procedures=sorted(office.procedures),
            valid_from=office.valid_from,
            valid_to=office.valid_to,
            sample=office.sample,
        )


class OfficeRegisterRead(BaseModel):
    country: str
    sample: bool = Field(description="some entries are packaged samples")
    notice: str | None
    total: int
    items: list[OfficeRead]

    @classmethod
    def of(cls, country: str, offices: list[Office]) -> OfficeRegisterRead:
        sample = any(office.sample for office in offices)
        return cls(
            country=country,
            sample=sample,
            notice=notice(sample),
            total=len(offices),
            items=[OfficeRead.of(office) for office in offices],
        )


class ExchangeRateCreate(BaseModel):
    """One published rate: `rate` units of national currency for one unit of `currency`."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["USD"])
    rate: Decimal = Field(gt=0, allow_inf_nan=False, examples=["25400"])
    valid_from: date
    valid_to: date

    def to_entry(self) -> RateEntry:
        return RateEntry(self.currency, self.rate, self.valid_from, self.valid_to)


class ExchangeRateRead(BaseModel):
    currency: str
    national_currency: str
    rate: Decimal = Field(description="national currency per one unit of `currency`")
    valid_from: date
    valid_to: date
    sample: bool = Field(description="a packaged sample rate, not one customs published")
    notice: str | None

    @classmethod
    def of(cls, rate: ExchangeRate) -> ExchangeRateRead:
        return cls(
            currency=rate.currency,
            national_currency=rate.national_currency,
            rate=rate.rate,
            valid_from=rate.valid_from,
            valid_to=rate.valid_to,
            sample=rate.sample,
            notice=notice(rate.sample),
        )


class RateTableRead(BaseModel):
    country: str
    national_currency: str
    sample: bool = Field(description="some rates are packaged samples")
    notice: str | None
    total: int
    items: list[ExchangeRateRead]

    @classmethod
    def of(cls, country: str, national: str, rates: list[ExchangeRate]) -> RateTableRead:
        sample = any(rate.sample for rate in rates)
        return cls(
            country=country,
            national_currency=national,
            sample=sample,
            notice=notice(sample),
            total=len(rates),
            items=[ExchangeRateRead.of(rate) for rate in rates],
        )


class RateLoadReportRead(BaseModel):
    country: str
    rates: int
    inserted: int
    unchanged: int = Field(description="already published with the same rate and period")
    samples_replaced: int = Field(description="sample rates of these currencies removed")
    revision: int
    sample: bool

    @classmethod
    def of(cls, report: RateLoadReport) -> RateLoadReportRead:
        return cls(**vars(report))
