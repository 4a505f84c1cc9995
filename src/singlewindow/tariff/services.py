"""Tariff use cases: import a national schedule and its measure file, look lines and
measures up at lodgement, search, and answer what applies to a code for an origin on a date.

Lookups go through a `TariffBook`, one country's whole schedule held in memory (a few
thousand lines), because lodgement needs thousands of lookups a second and a query each
would be the bottleneck. A book is reloaded when its schedule's revision changes: at once in
the process that imported, within `BOOK_RECHECK_SECONDS` in every other worker.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, TextIO, TypeVar

from singlewindow.core.clock import utcnow
from singlewindow.core.countries import ASEAN, is_country
from singlewindow.core.db import Database
from singlewindow.core.errors import Invalid, Problem
from singlewindow.core.revisions import CHECK_SECONDS, RevisionWatch
from singlewindow.tariff import nomenclature, repository
from singlewindow.tariff.book import TariffBook
from singlewindow.tariff.errors import (
    InvalidMeasures,
    InvalidSchedule,
    UnknownCode,
    UnknownSchedule,
)
from singlewindow.tariff.measure_file import known_code, measure_file, read_entries
from singlewindow.tariff.measure_set import (
    MeasureData,
    MeasureSet,
    measures_of_lines,
    national_measures,
)
from singlewindow.tariff.measures import (
    DOCUMENT_TYPES,
    GOODS_CODE_LENGTHS,
    DocumentType,
    Measure,
    MeasureNature,
    MeasureType,
)
from singlewindow.tariff.model import TariffLine
from singlewindow.tariff.schedule_file import COLUMNS as COLUMNS  # re-exported
from singlewindow.tariff.schedule_file import parse_schedule as parse_schedule
from singlewindow.tariff.schedule_file import read_schedule

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# How stale another worker's import may look to this one: one tiny query per interval.
BOOK_RECHECK_SECONDS = CHECK_SECONDS
# An import's progress is told every this many lines stored (and at the last).
PROGRESS_EVERY = 100


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
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Load a national schedule in the CSV format of docs/tariff-csv.md, all or nothing.

    By default a line replaces the stored line of the same code and `valid_from` and other
    stored lines stay (so a file of new dated lines extends the history); with `replace`
    the country's stored schedule is deleted first. `source` is the CSV text (`str`), a
    file (`Path`) or a text stream. `progress(done, total)` hears how many of the file's
    lines are stored (a background job shows it on a page).
    """
    lines, rows_of = read_schedule(country, source)
    if progress is not None:
        progress(0, len(lines))
    inserted = updated = deleted = 0
    with database.unit_of_work() as session:
        revision = repository.bump_revision(session, country, utcnow())
        existing = {} if replace else repository.rows_by_key(session, country)
        # The book is built at lodgement: the new schedule must fit the stored measures.
        _check_schedule(session, country, lines, rows_of, existing)
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
            stored = inserted + updated
            if progress is not None and (stored % PROGRESS_EVERY == 0 or stored == len(lines)):
                progress(stored, len(lines))
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
    """At node start: load the packaged sample if the country has no lines yet, and its
    sample measure file if the country has no measure data yet."""
    with database.unit_of_work() as session:
        has_lines = repository.count_lines(session, country) > 0
        has_measures = repository.count_measure_data(session, country) > 0
    report: ImportReport | None = None
    file = sample_schedule(country)
    if not has_lines and file is not None:
        report = import_schedule(database, country, file)
    measures = sample_measures(country)
    if not has_measures and measures is not None:
        try:
            import_measures(database, country, measures)
        except InvalidMeasures as error:
            # A node whose real schedule replaced the sample: the sample's measures may not
            # fit it, and a node must still start.
            log.warning(
                "%s: the sample measure file does not fit the stored schedule: %s",
                country,
                error.detail,
            )
    return report


# ---------------------------------------------------------------------------------------------
# Measure files (docs/tariff-measures.md)


@dataclass(frozen=True)
class MeasureImportReport:
    country: str
    measures: int  # entries of each kind in the file
    areas: int
    agreements: int
    additional_codes: int
    document_types: int
    replaced: int  # stored entries the file's entries of the same id replaced (a merge)
    deleted: int  # stored entries removed because the whole measure data was replaced
    revision: int  # the schedule's revision after this import (every book reloads)


def sample_measures(country: str) -> Path | None:
    """The packaged sample measure file of a country (not its official tariff), if any."""
    path = Path(str(resources.files("singlewindow.tariff") / "data" / "measures"))
    file = path / f"{country}.json"
    return file if file.is_file() else None


def import_measures(
    database: Database,
    country: str,
    source: str | bytes | Path | TextIO,
    *,
    replace: bool = False,
) -> MeasureImportReport:
    """Load a country's measure file (docs/tariff-measures.md), all or nothing.

    By default the file's entries replace the stored ones of the same id (measure id, area
    id, agreement id, additional code, document type code) and the others stay; with
    `replace` the country's stored measure data is deleted first. The result (stored and
    file entries, with the country's schedule as measures) is validated as a whole before
    anything is written; `InvalidMeasures` lists every problem, at its place in the file
    (`measures.3.duty`) or, for what the file breaks elsewhere, at `stored.measures.<id>`
    or `schedule.<code>.<valid_from>.<column>`.
    """
    if country not in ASEAN:
        raise InvalidMeasures([Problem("country", f"{country!r} is not an ASEAN member state")])
    with database.unit_of_work() as session:
        # Lock the schedule row first: two imports of one country serialise on PostgreSQL.
        revision = repository.bump_revision(session, country, utcnow())
        stored = MeasureData() if replace else repository.measure_data_of(session, country)
        known = {**DOCUMENT_TYPES, **{t.code: t for t in stored.document_types}}
        read = read_entries(source, known)
        data = read.data
        kept = _merged(stored, data)
        lines = repository.lines_of(session, country)
        file_places = [
            _Place(f"measures.{i}", True, f"measures.{i}") for i in read.positions["measures"]
        ]
        stored_places = [
            _Place(f"stored.measures.{m.id}", False, f"stored measure {m.id}")
            for m in kept.measures[len(data.measures) :]
        ]
        schedule_places = [
            _Place(
                f"schedule.{m.goods_code}.{m.valid_from}.{_column(m)}",
                False,
                f"the schedule's {_column(m)} of {m.goods_code} from {m.valid_from}",
            )
            for m in measures_of_lines(lines)
        ]
        # The entries that read are checked as a set even when others did not, so that
        # every problem of the file is reported at once.
        problems = list(read.problems)
        try:
            national_measures(lines, kept, known_code)
        except InvalidMeasures as error:
            places = file_places + stored_places + schedule_places
            problems += [
                p
                for p in _located(error.problems, places, data, read.positions)
                if not _names_unread(p, read.unread)
            ]
        if problems:
            detail = f"the measures have {len(problems)} problem(s)"
            raise InvalidMeasures(problems, detail)
        deleted = sum(repository.delete_measure_data(session, country).values()) if replace else 0
        replaced = _replaced(stored, data)
        repository.store_measure_data(session, country, data)
    RevisionWatch.changed(database, ("tariff", country))
    return MeasureImportReport(
        country=country,
        measures=len(data.measures),
        areas=len(data.areas),
        agreements=len(data.agreements),
        additional_codes=len(data.additional_codes),
        document_types=len(data.document_types),
        replaced=replaced,
        deleted=deleted,
        revision=revision,
    )


def stored_measure_file(database: Database, country: str) -> dict[str, Any]:
    """The country's stored measure data as a measure file (what an import would restore)."""
    if country not in ASEAN:
        raise UnknownSchedule(f"{country!r} is not an ASEAN member state")
    with database.unit_of_work() as session:
        return measure_file(repository.measure_data_of(session, country))


def _merged(stored: MeasureData, data: MeasureData) -> MeasureData:
    """The file's entries (first, in file order, so `measures.N` is the file's N-th) and the
    stored ones the file does not replace."""

    def kept(entries: Sequence[_T], replacing: Sequence[_T], key: Any) -> tuple[_T, ...]:
        ids = {key(e) for e in replacing}
        return (*replacing, *(e for e in entries if key(e) not in ids))

    return MeasureData(
        measures=kept(stored.measures, data.measures, lambda m: m.id),
        areas=kept(stored.areas, data.areas, lambda a: a.id),
        agreements=kept(stored.agreements, data.agreements, lambda a: a.id),
        additional_codes=kept(stored.additional_codes, data.additional_codes, lambda c: c.code),
        document_types=kept(stored.document_types, data.document_types, lambda t: t.code),
    )


def _replaced(stored: MeasureData, data: MeasureData) -> int:
    pairs = [
        ({m.id for m in stored.measures}, {m.id for m in data.measures}),
        ({a.id for a in stored.areas}, {a.id for a in data.areas}),
        ({a.id for a in stored.agreements}, {a.id for a in data.agreements}),
        ({c.code for c in stored.additional_codes}, {c.code for c in data.additional_codes}),
        ({t.code for t in stored.document_types}, {t.code for t in data.document_types}),
    ]
    return sum(len(old & new) for old, new in pairs)


def _column(measure: Measure) -> str:
    """The schedule column a measure of `measures_of_lines` came from (its id ends with it)."""
    return measure.id.rsplit("-", 1)[-1]


@dataclass(frozen=True)
class _Place:
    """Where a measure of a set being validated comes from: `path` is where its problems
    are reported, `what` how a message names it; `in_file` for the file being imported."""

    path: str
    in_file: bool
    what: str


_MEASURE_AT = re.compile(r"^measures\.(\d+)(.*)$")
_NAMED = re.compile(r"measures\.(\d+)")


_UNREAD = re.compile(r"^no (?:geographical area|agreement|additional code) '(.+)'$")


def _names_unread(problem: Problem, unread: frozenset[str]) -> bool:
    """A reference to an entry of the file that was refused on its own is no new problem."""
    found = _UNREAD.match(problem.message)
    return found is not None and found.group(1) in unread


def _located(
    problems: Sequence[Problem],
    places: Sequence[_Place],
    data: MeasureData | None = None,
    positions: dict[str, tuple[int, ...]] | None = None,
) -> list[Problem]:
    """`MeasureSet`'s problems put at their place in the file being imported.

    The set numbers its measures (`measures.N`) across the file, the stored measures and the
    schedule's columns; a problem of a stored or schedule measure that names one of the
    file's (an overlap) is put at the file's, since the file is what is refused. Areas and
    agreements the set names by id are put at their index in the file, or under `stored.`.
    """

    def named(message: str) -> str:
        return _NAMED.sub(lambda m: places[int(m.group(1))].what, message)

    at = positions or {}

    def indexed(kind: str, ids: Sequence[str]) -> dict[str, int]:
        """Each id's index in the file (the entries that read are not all of them)."""
        return {i: at.get(kind, tuple(range(len(ids))))[n] for n, i in enumerate(ids)}

    file_areas = {} if data is None else indexed("areas", [a.id for a in data.areas])
    file_agreements = (
        {} if data is None else indexed("agreements", [a.id for a in data.agreements])
    )
    located: list[Problem] = []
    for problem in problems:
        found = _MEASURE_AT.match(problem.path)
        if found is not None:
            place = places[int(found.group(1))]
            if place.in_file:
                located.append(Problem(place.path + found.group(2), named(problem.message)))
                continue
            others = [places[int(n)] for n in _NAMED.findall(problem.message)]
            in_file = [other for other in others if other.in_file]
            if in_file:
                message = f"{place.what}: {named(problem.message)}"
                located.append(Problem(in_file[0].path, message))
            else:
                located.append(Problem(place.path + found.group(2), named(problem.message)))
            continue
        kind, _, rest = problem.path.partition(".")
        identifier, dot, tail = rest.partition(".")
        by_id = {"areas": file_areas, "agreements": file_agreements}.get(kind, {})
        if identifier in by_id:
            located.append(Problem(f"{kind}.{by_id[identifier]}{dot}{tail}", problem.message))
        else:
            located.append(Problem(f"stored.{problem.path}", problem.message))
    return located


def _check_schedule(
    session: Any,
    country: str,
    lines: Sequence[TariffLine],
    rows_of: dict[tuple[str, date], int],
    existing: dict[tuple[str, date], repository.TariffLineRow],
) -> None:
    """`InvalidSchedule` if the schedule after this import (the file's lines and the stored
    ones it keeps) would not fit the country's stored measures: an imported schedule must
    never make the stored set invalid (the book of the set is built at lodgement)."""
    data = repository.measure_data_of(session, country)
    new = {(line.code, line.valid_from) for line in lines}
    kept = [row.to_line() for key, row in existing.items() if key not in new]
    result = [*lines, *kept]
    places = [
        _Place(f"stored.measures.{m.id}", False, f"stored measure {m.id}") for m in data.measures
    ]
    for measure in measures_of_lines(result):
        key = (measure.goods_code, measure.valid_from)
        column = _column(measure)
        if key in new:
            number = rows_of[key]
            places.append(_Place(f"line.{number}.{column}", True, f"line {number} ({column})"))
        else:
            places.append(
                _Place(
                    f"stored.lines.{measure.goods_code}.{measure.valid_from}.{column}",
                    False,
                    f"the stored line {measure.goods_code} from {measure.valid_from} ({column})",
                )
            )
    try:
        national_measures(result, data, known_code)
    except InvalidMeasures as error:
        problems = _located(error.problems, places)
        raise InvalidSchedule(
            problems, f"the schedule does not fit the stored measures: {len(problems)} problem(s)"
        ) from None


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
        # The database's turn first, then the lock (core.db.Database.unit_of_work).
        with self.database.unit_of_work() as session, self._lock:
            revision = repository.revision_of(session, country)
            book = self._books.get(country)
            if book is None or book.revision != revision:
                lines = repository.lines_of(session, country)
                measures = national_measures(
                    lines, repository.measure_data_of(session, country), known_code
                )
                book = TariffBook(country, revision, lines, _describe, measures)
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


# ---------------------------------------------------------------------------------------------
# As-of queries: everything that applies to a code for an origin on a date


@dataclass(frozen=True)
class ApplicableMeasure:
    """One measure that applies, as a trader reads it before shipping."""

    measure: Measure
    area_description: str
    agreement_name: str | None
    additional_code_description: str | None

    @property
    def nature(self) -> MeasureNature:
        return self.measure.type.nature

    @property
    def conditions(self) -> tuple[tuple[DocumentType, ...], ...]:
        """Each condition's accepted document types (any one of them meets it)."""
        return tuple(condition.accepted for condition in self.measure.conditions)


@dataclass(frozen=True)
class ApplicableMeasures:
    """The answer of an as-of query: the line in force (None for a code the nomenclature
    knows but the schedule has no line for that day) and every measure that applies, by
    measure type, most specific goods code first."""

    country: str
    code: str
    origin: str
    on: date
    additional_code: str | None
    line: TariffLine | None
    measures: tuple[ApplicableMeasure, ...]


_TYPE_ORDER = {kind: index for index, kind in enumerate(MeasureType)}


def applicable_measures(
    database: Database,
    country: str,
    code: str,
    origin: str,
    on: date,
    additional_code: str | None = None,
) -> ApplicableMeasures:
    """Everything that applies to goods of `code` from `origin` on `on` in `country`'s
    tariff (its schedule's columns and its measure file), each naming its measure.

    `code` is a national code or an HS chapter, heading or subheading (dots allowed);
    `UnknownCode` when the schedule has no line of it in force and the nomenclature does
    not know it; `Invalid` for a code or origin that is not one.
    """
    normalized = code.strip().replace(".", "").replace(" ", "")  # dots and spaces only
    origin = origin.strip().upper()
    problems: list[Problem] = []
    if not normalized.isdigit() or len(normalized) not in GOODS_CODE_LENGTHS:
        problems.append(Problem("code", f"{code!r} is not a goods code of 2, 4, 6 or 8 digits"))
    if not is_country(origin):
        problems.append(Problem("origin", f"{origin!r} is not an ISO 3166 country code"))
    if additional_code is not None and not additional_code.strip():
        additional_code = None
    if problems:
        raise Invalid(problems)
    book = tariff_book(database, country)
    line = book.line(normalized, on) if len(normalized) == 8 else None
    if line is None and not known_code(normalized):
        raise UnknownCode(
            f"{country} has no tariff line {code} in force on {on}, and HS 2022 has no such code"
        )
    found = book.measures.applicable(normalized, origin, on, additional_code)
    return ApplicableMeasures(
        country=country,
        code=normalized,
        origin=origin,
        on=on,
        additional_code=additional_code,
        line=line,
        measures=tuple(
            _applicable(book.measures, measure)
            for kind in sorted(found, key=_TYPE_ORDER.__getitem__)
            for measure in found[kind]
        ),
    )


def _applicable(measures: MeasureSet, measure: Measure) -> ApplicableMeasure:
    agreement = None if measure.agreement is None else measures.agreements.get(measure.agreement)
    additional = (
        None
        if measure.additional_code is None
        else measures.additional_codes.get(measure.additional_code)
    )
    return ApplicableMeasure(
        measure=measure,
        area_description=measures.areas[measure.area].description,
        agreement_name=None if agreement is None else agreement.name,
        additional_code_description=None if additional is None else additional.description,
    )
