"""Reference use cases: register offices, publish exchange rates, and look both up at lodgement.

Lookups go through a `ReferenceData`, the node's register and rate table held in memory (a
few dozen offices, a few hundred rates), because lodgement asks for both on every
declaration, hundreds of times a second. Each object reloads when the stored revision has
moved on: at once after a change made in this process, within `REFRESH_SECONDS` after a
change made by another worker.
"""

from __future__ import annotations

import csv
import math
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import TextIO

from singlewindow.core.clock import utcnow
from singlewindow.core.countries import ASEAN
from singlewindow.core.csvfiles import read_source, without_comments
from singlewindow.core.db import Database
from singlewindow.core.errors import Invalid, Problem
from singlewindow.reference import repository
from singlewindow.reference.errors import (
    InvalidOffice,
    InvalidRateTable,
    InvalidTarget,
    NoPublishedRate,
    OfficeRefused,
    OverlappingRates,
    RateNotPublished,
    UnknownOffice,
    UnknownRate,
)
from singlewindow.reference.model import (
    ExchangeRate,
    Office,
    OfficeKind,
    Procedure,
    RateTable,
    RevenueTarget,
    declared_rate_refusal,
    office_problems,
    office_refusal,
    plan_rate_load,
    rate_problems,
    target_problems,
)

# How stale another worker's change may look to this one: one tiny query per interval.
REFRESH_SECONDS = 5.0
RATE_COLUMNS = ("currency", "rate", "valid_from", "valid_to")
OFFICE_COLUMNS = ("code", "name", "kind", "procedures", "valid_from", "valid_to")
MAX_RATES = 10_000  # a load is one transaction: weekly rates of 60 currencies for 3 years fit

_DATA = "data"


def national_currency(country: str) -> str:
    member = ASEAN.get(country)
    if member is None:
        raise Invalid([Problem("country", f"{country!r} is not an ASEAN member state")])
    return member.currency


# ---------------------------------------------------------------------------------------------
# Files: the rate table (docs/exchange-rates-csv.md) and the packaged sample register


def _summary(what: str, problems: list[Problem]) -> str:
    shown = "; ".join(f"{p.path}: {p.message}" if p.path else p.message for p in problems[:3])
    more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    return f"{what} has {len(problems)} problem(s), nothing was loaded: {shown}{more}"


def _csv_rows(
    text: str, columns: Sequence[str], required: Sequence[str], problems: list[Problem]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, cells by column) of each data row; comment lines (`#`) and blank
    lines are skipped but counted, so that a problem's path names the line in the file."""
    reader = csv.reader(without_comments(text))
    header: list[str] | None = None
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        number = reader.line_num
        if header is None:
            header = [cell.strip().lower() for cell in row]
            missing = [c for c in required if c not in header]
            unknown = [c for c in header if c not in columns]
            problems += [
                Problem(f"header.{c}", f"required column {c!r} is missing") for c in missing
            ]
            problems += [
                Problem(f"header.{c}", f"unknown column {c!r} (known: {', '.join(columns)})")
                for c in unknown
            ]
            if missing or unknown:
                return
            continue
        if len(row) > len(header):
            problems.append(
                Problem(f"line.{number}.row", f"{len(row)} cells but the header has {len(header)}")
            )
            continue
        yield number, {name: value.strip() for name, value in zip(header, row, strict=False)}
    if header is None:
        problems.append(Problem("header", "the file has no header row"))


def _date(cells: dict[str, str], name: str, at: str, problems: list[Problem]) -> date | None:
    text = cells.get(name, "")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(f"{at}.{name}", f"{text!r} is not an ISO date (YYYY-MM-DD)"))
        return None


@dataclass(frozen=True)
class RateEntry:
    """One row of a rate table as the administration writes it: `rate` units of national
    currency for one unit of `currency`, from `valid_from` to `valid_to` included."""

    currency: str
    rate: Decimal
    valid_from: date
    valid_to: date


def parse_rate_table(source: str | Path | TextIO) -> tuple[list[RateEntry], list[str]]:
    """Read a whole rate table (docs/exchange-rates-csv.md): its entries and where each came
    from (`line.<n>`). `InvalidRateTable` lists every problem, at `line.<n>.<column>`."""
    problems: list[Problem] = []
    entries: list[RateEntry] = []
    paths: list[str] = []
    text = read_source(source, InvalidRateTable)
    for number, cells in _csv_rows(text, RATE_COLUMNS, RATE_COLUMNS, problems):
        at = f"line.{number}"
        before = len(problems)
        for name in RATE_COLUMNS:
            if not cells.get(name):
                problems.append(Problem(f"{at}.{name}", "required"))
        rate: Decimal | None = None
        if cells.get("rate"):
            try:
                rate = Decimal(cells["rate"])
            except InvalidOperation:
                problems.append(Problem(f"{at}.rate", f"{cells['rate']!r} is not a number"))
        valid_from = _date(cells, "valid_from", at, problems)
        valid_to = _date(cells, "valid_to", at, problems)
        if len(problems) > before:
            continue
        assert rate is not None and valid_from is not None and valid_to is not None
        entries.append(RateEntry(cells["currency"].upper(), rate, valid_from, valid_to))
        paths.append(at)
    if not entries and not problems:
        problems.append(Problem("file", "the file has no rates"))
    if problems:
        raise InvalidRateTable(problems, _summary("the rate table", problems))
    return entries, paths


def parse_offices(source: str | Path | TextIO) -> list[Office]:
    """Read a register file in the format of the packaged `data/offices.csv`."""
    problems: list[Problem] = []
    offices: list[Office] = []
    required = ("code", "name", "kind", "procedures", "valid_from")
    text = read_source(source, InvalidRateTable)
    for number, cells in _csv_rows(text, OFFICE_COLUMNS, required, problems):
        at = f"line.{number}"
        before = len(problems)
        try:
            kind = OfficeKind(cells.get("kind", ""))
        except ValueError:
            problems.append(Problem(f"{at}.kind", f"{cells.get('kind')!r} is not an office kind"))
        try:
            procedures = frozenset(Procedure(p) for p in cells.get("procedures", "").split())
        except ValueError:
            problems.append(
                Problem(f"{at}.procedures", f"{cells.get('procedures')!r}: not procedures")
            )
        valid_from = _date(cells, "valid_from", at, problems)
        valid_to = _date(cells, "valid_to", at, problems)
        if len(problems) > before or valid_from is None:
            continue
        offices.append(Office(cells["code"], cells["name"], kind, procedures, valid_from, valid_to))
    if problems:
        raise InvalidOffice(problems, _summary("the register file", problems))
    return offices


def _packaged(*parts: str) -> Path:
    return Path(str(resources.files("singlewindow.reference").joinpath(_DATA, *parts)))


def sample_offices_file() -> Path:
    """The packaged SAMPLE register of every ASEAN member state (not any official one)."""
    return _packaged("offices.csv")


def sample_rates_file(country: str) -> Path | None:
    """The packaged SAMPLE rate table of a country (not published by its customs), if any."""
    file = _packaged("rates", f"{country}.csv")
    return file if file.is_file() else None


# ---------------------------------------------------------------------------------------------
# The office register


def register_office(database: Database, country: str, office: Office) -> tuple[Office, bool]:
    """Enter or replace an office of the node's register; whether it is new. An entry the
    administrator writes is the administration's own, never a sample."""
    problems = office_problems(office, country)
    if problems:
        raise InvalidOffice(problems)
    now = utcnow()
    with database.unit_of_work() as session:
        repository.bump_revision(session, country, now)
        row = repository.office_row(session, office.code)
        created = row is None
        if row is None:
            row = repository.OfficeRow()
            session.add(row)
        row.update_from(office, now)
        stored = row.to_office()
    _changed(database, country)
    return stored, created


def list_offices(
    database: Database,
    country: str,
    *,
    on: date | None = None,
    procedure: Procedure | None = None,
    kind: OfficeKind | None = None,
) -> list[Office]:
    """The register in code order; only the offices open on `on` (and handling `procedure`
    that day, of `kind`) when given."""
    with database.unit_of_work() as session:
        offices = repository.offices_of(session, country)
    return [
        office
        for office in offices
        if (on is None or office.in_force(on))
        and (procedure is None or procedure in office.procedures)
        and (kind is None or office.kind is kind)
    ]


def get_office(database: Database, country: str, code: str) -> Office:
    with database.unit_of_work() as session:
        row = repository.office_row(session, code.upper())
        office = None if row is None or row.country != country else row.to_office()
    if office is None:
        raise UnknownOffice(f"{code!r} is not a customs office in the register of {country}")
    return office


# ---------------------------------------------------------------------------------------------
# Revenue targets


def set_revenue_target(
    database: Database, country: str, target: RevenueTarget, actor: str
) -> RevenueTarget:
    """Set (or change) an office's target for a year: an office of this country's register,
    in its national currency."""
    problems = target_problems(target, utcnow().date())
    with database.unit_of_work() as session:
        office = repository.office_row(session, target.office.upper())
        if office is None or office.country != country:
            problems.insert(0, Problem("office", f"{target.office!r} is not a customs office "
                                                 f"in the register of {country}"))
        if target.currency != national_currency(country):
            problems.append(Problem("currency", f"a target is in {national_currency(country)}"))
        if problems:
            raise InvalidTarget(problems)
        row = session.get(repository.RevenueTargetRow, (target.office, target.year))
        if row is None:
            row = repository.RevenueTargetRow(office=target.office, year=target.year)
            session.add(row)
        row.amount, row.currency = target.amount, target.currency
        row.set_by, row.set_at = actor, utcnow()
    return target


def revenue_targets(database: Database, year: int) -> list[RevenueTarget]:
    with database.unit_of_work() as session:
        return repository.targets_of(session, year)


# ---------------------------------------------------------------------------------------------
# Exchange rates


@dataclass(frozen=True)
class RateLoadReport:
    country: str
    rates: int  # rates in the table
    inserted: int
    unchanged: int  # already published with the same rate and period
    samples_replaced: int  # sample rates of the table's currencies, removed
    revision: int
    sample: bool  # the table loaded was the packaged sample


def publish_rates(
    database: Database,
    country: str,
    entries: Sequence[RateEntry],
    *,
    paths: Sequence[str] | None = None,
    sample: bool = False,
) -> RateLoadReport:
    """Publish a table of exchange rates, all or nothing: `InvalidRateTable` if a row is bad
    or two of its periods of one currency overlap, `OverlappingRates` if a period overlaps a
    stored one (a rate loaded again as it stands changes nothing). `paths[i]` says where
    entry i came from, for the problems (default: its index)."""
    national = national_currency(country)
    where = list(paths) if paths is not None else [str(i) for i in range(len(entries))]
    if len(entries) > MAX_RATES:
        raise InvalidRateTable([Problem("", f"at most {MAX_RATES} rates in one load")])
    rates = [
        ExchangeRate(e.currency, national, e.rate, e.valid_from, e.valid_to, sample=sample)
        for e in entries
    ]
    problems = [p for rate, at in zip(rates, where, strict=True) for p in rate_problems(rate, at)]
    if not rates:
        problems.append(Problem("", "the table has no rates"))
    if problems:
        raise InvalidRateTable(problems, _summary("the rate table", problems))
    now = utcnow()
    with database.unit_of_work() as session:
        revision = repository.bump_revision(session, country, now)
        stored = RateTable(national, repository.rates_of(session, country))
        plan, own, conflicts = plan_rate_load(stored, rates, where)
        if own:
            raise InvalidRateTable(own, _summary("the rate table", own))
        if conflicts:
            raise OverlappingRates(conflicts)
        for old in plan.superseded_samples:
            repository.delete_rate(session, country, old)
        session.flush()  # the samples' periods are free before the official ones go in
        session.add_all(repository.ExchangeRateRow.of(country, rate, now) for rate in plan.insert)
    _changed(database, country)
    return RateLoadReport(
        country=country,
        rates=len(rates),
        inserted=len(plan.insert),
        unchanged=len(plan.unchanged),
        samples_replaced=len(plan.superseded_samples),
        revision=revision,
        sample=sample,
    )


def import_rates(
    database: Database, country: str, source: str | Path | TextIO, *, sample: bool = False
) -> RateLoadReport:
    """Load a rate table in the CSV format of docs/exchange-rates-csv.md, all or nothing."""
    entries, paths = parse_rate_table(source)
    return publish_rates(database, country, entries, paths=paths, sample=sample)


def rate_table(database: Database, country: str) -> RateTable:
    """The stored table, read now (the API's answer right after a load)."""
    with database.unit_of_work() as session:
        return RateTable(national_currency(country), repository.rates_of(session, country))


def list_rates(
    database: Database, country: str, *, currency: str | None = None, on: date | None = None
) -> list[ExchangeRate]:
    return rate_table(database, country).rates(currency, on)


def find_rate(database: Database, country: str, currency: str, on: date) -> ExchangeRate:
    rate = rate_table(database, country).rate(currency.upper(), on)
    if rate is None:
        raise UnknownRate(f"{country} customs publish no {currency.upper()} rate for {on}")
    return rate


# ---------------------------------------------------------------------------------------------
# Sample content


def ensure_sample_reference(database: Database, country: str) -> None:
    """At node start: the packaged SAMPLE offices and rates, into a node that has none of
    either (each checked on its own; once loaded, or once the administration has its own,
    nothing changes)."""
    with database.unit_of_work() as session:
        has_offices = repository.count_offices(session, country) > 0
        has_rates = repository.count_rates(session, country) > 0
    if not has_offices:
        offices = [o for o in parse_offices(sample_offices_file()) if o.country == country]
        _load_sample_offices(database, country, offices)
    rates_file = sample_rates_file(country)
    if not has_rates and rates_file is not None:
        entries, paths = parse_rate_table(rates_file)
        with database.unit_of_work() as session:
            # Another worker may have loaded them meanwhile.
            if repository.count_rates(session, country):
                return
        publish_rates(database, country, entries, paths=paths, sample=True)


def _load_sample_offices(database: Database, country: str, offices: list[Office]) -> None:
    now = utcnow()
    with database.unit_of_work() as session:
        repository.bump_revision(session, country, now)
        if repository.count_offices(session, country):
            return  # another worker was first
        for office in offices:
            row = repository.OfficeRow()
            row.update_from(replace(office, sample=True), now)
            session.add(row)
    _changed(database, country)


# ---------------------------------------------------------------------------------------------
# Lookups at lodgement


@dataclass(frozen=True)
class _Snapshot:
    revision: int
    offices: dict[str, Office]
    rates: RateTable


class ReferenceData:
    """The node's register and rate table in memory, for the checks of every declaration.

    Each call is a dictionary look-up; the stored revision is read again at most every
    `refresh_seconds` (and at once after a change made through this module in this process).
    """

    def __init__(
        self, database: Database, country: str, *, refresh_seconds: float = REFRESH_SECONDS
    ) -> None:
        self.database = database
        self.country = country
        self.national_currency = national_currency(country)
        self.refresh_seconds = refresh_seconds
        self._snapshot: _Snapshot | None = None
        self._checked_at = -math.inf
        self._lock = threading.Lock()
        with _watchers_lock:
            _watchers.add(self)

    def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._checked_at < self.refresh_seconds:
            return snapshot
        # The database's turn first, then the lock (core.db.Database.unit_of_work).
        with self.database.unit_of_work() as session, self._lock:
            snapshot = self._snapshot
            if snapshot is not None and time.monotonic() - self._checked_at < self.refresh_seconds:
                return snapshot
            revision = repository.revision_of(session, self.country)
            if snapshot is None or snapshot.revision != revision:
                offices = repository.offices_of(session, self.country)
                rates = repository.rates_of(session, self.country)
                snapshot = _Snapshot(
                    revision,
                    {office.code: office for office in offices},
                    RateTable(self.national_currency, rates),
                )
            self._snapshot = snapshot
            self._checked_at = time.monotonic()
            return snapshot

    def refresh(self) -> None:
        """Read the stored revision on the next look-up."""
        self._checked_at = -math.inf

    def office(self, code: str, on: date) -> Office | None:
        """The office of `code` if it is in the register and open on `on`."""
        office = self._current().offices.get(code)
        return office if office is not None and office.in_force(on) else None

    def entry(self, code: str) -> Office | None:
        """The register's entry of `code`, open or closed (to say why it may not be used)."""
        return self._current().offices.get(code)

    def handles(self, code: str, procedure: Procedure, on: date) -> bool:
        office = self._current().offices.get(code)
        return office is not None and office.handles(procedure, on)

    def check_office(
        self, code: str, procedure: Procedure, on: date, *, path: str = "office"
    ) -> Office:
        """The office, if it may handle `procedure` on `on`; else `OfficeRefused` at `path`."""
        office = self._current().offices.get(code)
        refusal = office_refusal(office, code, procedure, on)
        if refusal is not None or office is None:
            raise OfficeRefused([Problem(path, refusal or "")])
        return office

    def rate(self, currency: str, on: date) -> ExchangeRate | None:
        """Customs' rate of `currency` on `on` (the national currency: 1), or None."""
        return self._current().rates.rate(currency, on)

    def customs_rate(
        self,
        currency: str,
        on: date,
        declared: Decimal | None = None,
        *,
        currency_path: str = "invoice_currency",
        rate_path: str = "exchange_rate",
    ) -> ExchangeRate:
        """The rate a declaration is valued at: the published one, which a declared rate
        must equal (None: customs fills it in). `NoPublishedRate` if customs publish none
        for that day, `RateNotPublished` if the declared one differs."""
        published = self.rate(currency, on)
        if published is None:
            raise NoPublishedRate(
                [Problem(currency_path, f"customs publish no {currency} rate for {on}")]
            )
        if declared is not None:
            refusal = declared_rate_refusal(published, declared)
            if refusal is not None:
                raise RateNotPublished([Problem(rate_path, refusal)])
        return published


_watchers: weakref.WeakSet[ReferenceData] = weakref.WeakSet()
_watchers_lock = threading.Lock()


def _changed(database: Database, country: str) -> None:
    """Every `ReferenceData` of this database and country in this process looks again."""
    with _watchers_lock:
        watchers = list(_watchers)
    for watcher in watchers:
        if watcher.database is database and watcher.country == country:
            watcher.refresh()
