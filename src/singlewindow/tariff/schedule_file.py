"""The national schedule CSV (docs/tariff-csv.md): a whole file read and checked, every
problem at `line.<line number in the file>.<column>`."""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO

from singlewindow.core.countries import ASEAN
from singlewindow.core.csvfiles import read_source, without_comments
from singlewindow.core.errors import Invalid, Problem
from singlewindow.tariff import nomenclature
from singlewindow.tariff.errors import InvalidSchedule
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


def _date(text: str) -> date:
    return date.fromisoformat(text)


def parse_schedule(country: str, source: str | Path | TextIO) -> list[TariffLine]:
    """Read and check a whole schedule file; `InvalidSchedule` lists every problem found,
    each at `line.<line number in the file>.<column>`."""
    return read_schedule(country, source)[0]


def read_schedule(
    country: str, source: str | Path | TextIO
) -> tuple[list[TariffLine], dict[tuple[str, date], int]]:
    """The lines of a schedule file and the file line number of each (code, valid_from)."""
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
    return lines, rows_of


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
