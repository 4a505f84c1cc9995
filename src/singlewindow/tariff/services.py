"""Tariff use cases: import a national schedule, look lines up at lodgement, search.

Lookups go through a `TariffBook`, one country's whole schedule held in memory (a few
thousand lines), because lodgement needs thousands of lookups a second and a query each
would be the bottleneck. A book is reloaded when its schedule's revision changes: at once in
the process that imported, within `BOOK_RECHECK_SECONDS` in every other worker.
"""

from __future__ import annotations

import csv
import re
import threading
from dataclasses import dataclass
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
from singlewindow.core.revisions import CHECK_SECONDS, RevisionWatch
from singlewindow.tariff import nomenclature, repository
from singlewindow.tariff.book import TariffBook
from singlewindow.tariff.errors import InvalidSchedule, UnknownCode, UnknownSchedule
from singlewindow.tariff.model import Rate, TariffLine

COLUMNS = (
    "code",
    "description",
    "unit",
    "valid_from",
    "valid_to",
    "mfn",
    "atiga",
    "vat",
    "excise",
    "reference_unit_value",
)
REQUIRED_COLUMNS = ("code", "description", "unit", "valid_from", "mfn", "vat")
RATE_COLUMNS = ("mfn", "atiga", "vat", "excise")
_UNIT = re.compile(r"^(?:[a-z][a-z0-9]*|\d+[a-z][a-z0-9]*)$")

# How stale another worker's import may look to this one: one tiny query per interval.
BOOK_RECHECK_SECONDS = CHECK_SECONDS


# ---------------------------------------------------------------------------------------------
# The CSV format (docs/tariff-csv.md)


def _date(text: str) -> date:
    return date.fromisoformat(text)


def parse_schedule(country: str, source: str | Path | TextIO) -> list[TariffLine]:
    """Read and check a whole schedule file; `InvalidSchedule` lists every problem found,
    each at `line.<line number in the file>.<column>`."""
    problems: list[Problem] = []
    if country not in ASEAN:
        problems.append(Problem("country", f"{country!r} is not an ASEAN member state"))
    reader = csv.reader(without_comments(read_source(source, InvalidSchedule)))
    header: list[str] | None = None
    lines: list[TariffLine] = []
    rows_of: dict[tuple[str, date], int] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        number = reader.line_num
        if header is None:
            header = [cell.strip().lower() for cell in row]
            problems += _header_problems(header, number)
            if any(p.path.startswith("header") for p in problems):
                break
            continue
        line = _parse_row(country, header, row, number, problems)
        if line is None:
            continue
        key = (line.code, line.valid_from)
        if key in rows_of:
            problems.append(
                Problem(
                    f"line.{number}.code",
                    f"{line.dotted_code} from {line.valid_from} is already on line {rows_of[key]}",
                )
            )
            continue
        rows_of[key] = number
        lines.append(line)
    if header is None:
        problems.append(Problem("header", "the file has no header row"))
    elif not lines and not problems:
        problems.append(Problem("file", "the file has no tariff lines"))
    problems += _overlap_problems(lines, rows_of)
    if problems:
        raise InvalidSchedule(problems, f"the schedule has {len(problems)} problem(s)")
    return lines


def _header_problems(header: list[str], number: int) -> list[Problem]:
    problems = [
        Problem(f"header.{name}", f"required column {name!r} is missing")
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    problems += [
        Problem(f"header.{name}", f"unknown column {name!r} (known: {', '.join(COLUMNS)})")
        for name in header
        if name not in COLUMNS
    ]
    problems += [
        Problem(f"header.{name}", f"column {name!r} appears more than once")
        for name in sorted({n for n in header if header.count(n) > 1})
    ]
    return problems


def _parse_row(
    country: str, header: list[str], row: list[str], number: int, problems: list[Problem]
) -> TariffLine | None:
    before = len(problems)

    def problem(column: str, message: str) -> None:
        problems.append(Problem(f"line.{number}.{column}", message))

    if len(row) > len(header):
        problem("row", f"{len(row)} cells but the header has {len(header)} columns")
        return None
    cells = {name: value.strip() for name, value in zip(header, row, strict=False)}
    for name in REQUIRED_COLUMNS:
        if not cells.get(name):
            problem(name, "required")

    code = nomenclature.normalize_code(cells.get("code", ""))
    if cells.get("code"):
        if len(code) != 8 or not cells["code"].replace(".", "").replace(" ", "").isdigit():
            problem("code", f"{cells['code']!r} is not an 8-digit tariff code")
        elif not nomenclature.exists(code[:6]):
            problem("code", f"subheading {code[:4]}.{code[4:6]} is not in HS 2022")

    unit = cells.get("unit", "").lower()
    if unit and not _UNIT.match(unit):
        problem("unit", f"{cells['unit']!r} is not a unit (e.g. kg, l, u, m3, pair, 1000u)")

    dates: dict[str, date | None] = {"valid_from": None, "valid_to": None}
    for name in dates:
        if cells.get(name):
            try:
                dates[name] = _date(cells[name])
            except ValueError:
                problem(name, f"{cells[name]!r} is not an ISO date (YYYY-MM-DD)")
    valid_from, valid_to = dates["valid_from"], dates["valid_to"]
    if valid_from and valid_to and valid_to < valid_from:
        problem("valid_to", f"{valid_to} is before valid_from {valid_from}")

    rates: dict[str, Rate | None] = {}
    for name in RATE_COLUMNS:
        try:
            rates[name] = Rate.parse_optional(cells.get(name))
        except Invalid as error:
            problem(name, error.problems[0].message)
            continue
        rate = rates[name]
        if rate is not None and rate.unit is not None and unit and rate.unit != unit:
            problem(name, f"{cells[name]!r} is per {rate.unit} but the line's unit is {unit}")

    reference: Decimal | None = None
    if cells.get("reference_unit_value"):
        try:
            reference = Decimal(cells["reference_unit_value"].replace(",", ""))
            if not reference.is_finite() or reference < 0:
                raise InvalidOperation
        except InvalidOperation:
            problem(
                "reference_unit_value",
                f"{cells['reference_unit_value']!r} is not a non-negative amount",
            )

    if len(problems) > before:
        return None
    mfn, vat = rates["mfn"], rates["vat"]
    assert valid_from is not None and mfn is not None and vat is not None  # checked above
    return TariffLine(
        country=country,
        code=code,
        description=cells["description"],
        quantity_unit=unit,
        valid_from=valid_from,
        valid_to=valid_to,
        mfn=mfn,
        vat=vat,
        atiga=rates["atiga"],
        excise=rates["excise"],
        reference_unit_value=reference,
    )


def _overlap_problems(
    lines: list[TariffLine], rows_of: dict[tuple[str, date], int]
) -> list[Problem]:
    """Two lines of one code may not be in force on the same day."""
    problems: list[Problem] = []
    by_code: dict[str, list[TariffLine]] = {}
    for line in lines:
        by_code.setdefault(line.code, []).append(line)
    for periods in by_code.values():
        periods.sort(key=lambda line: line.valid_from)
        for earlier, later in zip(periods, periods[1:], strict=False):
            if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
                row = rows_of[(later.code, later.valid_from)]
                other = rows_of[(earlier.code, earlier.valid_from)]
                problems.append(
                    Problem(
                        f"line.{row}.valid_from",
                        f"{later.dotted_code} from {later.valid_from} overlaps the line "
                        f"from {earlier.valid_from} (line {other})",
                    )
                )
    return problems


# ---------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True)
class ImportReport:
    country: str
    lines: int  # lines in the file
    inserted: int
    updated: int
    deleted: int  # lines removed because the whole schedule was replaced
    chapters: int  # distinct HS chapters covered by the file
    revision: int  # the schedule's revision after this import


def import_schedule(
    database: Database,
    country: str,
    source: str | Path | TextIO,
    *,
    replace: bool = False,
) -> ImportReport:
    """Load a national schedule in the CSV format of docs/tariff-csv.md, all or nothing.

    By default a line replaces the stored line of the same code and `valid_from` and other
    stored lines stay (so a file of new dated lines extends the history); with `replace`
    the country's stored schedule is deleted first. `source` is the CSV text (`str`), a
    file (`Path`) or a text stream.
    """
    lines = parse_schedule(country, source)
    inserted = updated = deleted = 0
    with database.unit_of_work() as session:
        revision = repository.bump_revision(session, country, utcnow())
        existing = {} if replace else repository.rows_by_key(session, country)
        if replace:
            deleted = repository.delete_country(session, country)
        for line in lines:
            row = existing.get((line.code, line.valid_from))
            if row is None:
                row = repository.TariffLineRow()
                session.add(row)
                inserted += 1
            else:
                updated += 1
            row.update_from(line)
    RevisionWatch.changed(database, ("tariff", country))
    return ImportReport(
        country=country,
        lines=len(lines),
        inserted=inserted,
        updated=updated,
        deleted=deleted,
        chapters=len({line.chapter for line in lines}),
        revision=revision,
    )


def sample_schedule(country: str) -> Path | None:
    """The packaged sample schedule of a country (not its official tariff), if there is one."""
    path = Path(str(resources.files("singlewindow.tariff") / "data" / "schedules"))
    file = path / f"{country}.csv"
    return file if file.is_file() else None


def ensure_sample_schedule(database: Database, country: str) -> ImportReport | None:
    """At node start: load the packaged sample if the country has no lines yet."""
    with database.unit_of_work() as session:
        if repository.count_lines(session, country):
            return None
    file = sample_schedule(country)
    return None if file is None else import_schedule(database, country, file)


# ---------------------------------------------------------------------------------------------
# Lookup and search


class TariffBooks:
    """The schedules of one database in memory, a `TariffBook` per country, as a node wires
    them. A book is reloaded when its schedule's revision moved: at once in the process that
    imported, within `BOOK_RECHECK_SECONDS` (plus one read) in every other worker."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._books: dict[str, TariffBook] = {}
        self._watches: dict[str, RevisionWatch] = {}

    def book(self, country: str) -> TariffBook:
        """The country's schedule in memory; UnknownSchedule for a country outside ASEAN."""
        if country not in ASEAN:
            raise UnknownSchedule(f"{country!r} is not an ASEAN member state")
        watch = self._watches.get(country)
        if watch is None:
            with self._lock:
                watch = self._watches.setdefault(country, self._watch(country))
        book = self._books.get(country)
        if book is not None and not watch.moved():
            return book
        with self._lock, self.database.unit_of_work() as session:
            revision = repository.revision_of(session, country)
            book = self._books.get(country)
            if book is None or book.revision != revision:
                book = TariffBook(country, revision, repository.lines_of(session, country),
                                  _describe)
                self._books[country] = book
            return book

    def _watch(self, country: str) -> RevisionWatch:
        def read() -> int:
            with self.database.unit_of_work() as session:
                return repository.revision_of(session, country)

        return RevisionWatch(self.database, ("tariff", country), read,
                             lambda: BOOK_RECHECK_SECONDS)


def _describe(subheading: str) -> str:
    return nomenclature.get(subheading).description


def tariff_books(database: Database) -> TariffBooks:
    """The TariffBooks this process keeps for `database` (one set per database)."""
    return database.kept("tariff.books", lambda: TariffBooks(database))


def tariff_book(database: Database, country: str) -> TariffBook:
    """The country's schedule in memory, from the books wired for `database`."""
    return tariff_books(database).book(country)


def find_line(database: Database, country: str, code: str, on: date) -> TariffLine:
    """The line in force on `on`; `UnknownCode` if there is none."""
    normalized = nomenclature.normalize_code(code)
    line = tariff_book(database, country).line(normalized, on)
    if line is None:
        raise UnknownCode(f"{country} has no tariff line {code} in force on {on}")
    return line


def search_schedule(
    database: Database,
    country: str,
    query: str = "",
    on: date | None = None,
    *,
    prefix: str = "",
) -> list[TariffLine]:
    """Search a country's schedule by words and/or code prefix; `on` keeps only the lines
    in force that day (None: every dated version)."""
    return tariff_book(database, country).search(query, prefix=prefix, on=on)


def search_schedule_page(
    database: Database,
    country: str,
    query: str = "",
    on: date | None = None,
    *,
    prefix: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[TariffLine], int]:
    """One page of `search_schedule` and the number of lines found in all."""
    return tariff_book(database, country).search_page(
        query, prefix=prefix, on=on, limit=limit, offset=offset
    )
