"""The measure file: one country's measures, areas, agreements, additional codes and document
types as JSON (docs/tariff-measures.md), read into a `MeasureData` with every problem located.

Reading checks the file's form (keys, types, dates, duty expressions, goods codes, document
type codes); whether the measures fit together, with the stored ones and the schedule's
columns, is `MeasureSet`'s validation, which `services.import_measures` runs on the result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO, TypeVar

from singlewindow.core.errors import Invalid, Problem
from singlewindow.tariff import nomenclature
from singlewindow.tariff.errors import InvalidMeasures
from singlewindow.tariff.measure_set import MeasureData
from singlewindow.tariff.measures import (
    CODE_PATTERN,
    DOCUMENT_TYPES,
    ID_PATTERN,
    AdditionalCode,
    Agreement,
    AreaKind,
    AreaMembership,
    DocumentRole,
    DocumentType,
    GeographicalArea,
    Measure,
    MeasureCondition,
    MeasureType,
)
from singlewindow.tariff.model import Rate

MAXIMUM_BYTES = 8 * 1024 * 1024
"""A measure file's largest size: a whole national set (thousands of measures) is well under."""

_ID = re.compile(ID_PATTERN)
_CODE = re.compile(CODE_PATTERN)
_GOODS_CODE = re.compile(r"^\d{2}(?:\.?\d{2}){0,3}$")
_TEXT_LENGTH = 500
_T = TypeVar("_T")

_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # what: (required keys, optional keys)
    "file": (
        frozenset(),
        frozenset(
            {"note", "areas", "agreements", "additional_codes", "document_types", "measures"}
        ),
    ),
    "area": (frozenset({"id", "description", "kind"}), frozenset({"memberships"})),
    "membership": (frozenset({"country", "valid_from"}), frozenset({"valid_to"})),
    "agreement": (frozenset({"id", "name", "area"}), frozenset()),
    "additional_code": (frozenset({"code", "description"}), frozenset()),
    "document_type": (frozenset({"code", "description", "role"}), frozenset()),
    "measure": (
        frozenset({"id", "type", "goods_code", "area", "valid_from"}),
        frozenset(
            {
                "valid_to",
                "excluded",
                "duty",
                "additional_code",
                "conditions",
                "agreement",
                "description",
            }
        ),
    ),
}
_AREA_KINDS = (AreaKind.COUNTRY, AreaKind.GROUP)  # erga omnes (1011) is built in


def known_code(code: str) -> bool:
    """Whether the HS 2022 nomenclature knows a measure's goods code: a chapter, heading or
    subheading itself, and for an 8-digit national code, its subheading."""
    return nomenclature.exists(code[:6] if len(code) == 8 else code)


def read_measure_file(
    source: str | bytes | Path | TextIO,
    known_document_types: Mapping[str, DocumentType] = DOCUMENT_TYPES,
) -> tuple[MeasureData, str]:
    """The measure data of a file and its note; `InvalidMeasures` with every problem.

    `source` is the JSON text (`str` or `bytes`), a file (`Path`) or a text stream. A
    condition may name a type of `known_document_types` (the built-in ones, plus the stored
    ones when merging) or one the file itself defines.
    """
    read = read_entries(source, known_document_types)
    if read.problems:
        detail = f"the measure file has {len(read.problems)} problem(s)"
        raise InvalidMeasures(read.problems, detail)
    return read.data, read.note


@dataclass(frozen=True)
class ReadFile:
    """What a file's entries read as, the ones with problems left out, so that the set can
    still be checked and every problem of the file reported at once: `positions` are the
    file indices of the entries kept (by list: `measures`, `areas`, `agreements`), `unread`
    the ids of those left out (a reference to one is no problem of its own)."""

    data: MeasureData
    note: str
    problems: list[Problem]
    positions: dict[str, tuple[int, ...]]
    unread: frozenset[str]


def read_entries(
    source: str | bytes | Path | TextIO,
    known_document_types: Mapping[str, DocumentType] = DOCUMENT_TYPES,
) -> ReadFile:
    """Read a file without refusing it: the entries that read, and every problem found.
    A file that is not JSON at all (or too large) is still refused at once."""
    document = _load(source)
    reader = _Reader()
    data, note = reader.file(document, known_document_types)
    return ReadFile(data, note, reader.problems, reader.positions, frozenset(reader.unread))


def parse_measure_file(
    source: str | bytes | Path | TextIO,
    known_document_types: Mapping[str, DocumentType] = DOCUMENT_TYPES,
) -> MeasureData:
    """The measure data of a file (`read_measure_file` without the note)."""
    return read_measure_file(source, known_document_types)[0]


def _load(source: str | bytes | Path | TextIO) -> Any:
    if isinstance(source, Path):
        try:
            if source.stat().st_size > MAXIMUM_BYTES:
                raise InvalidMeasures([_too_large()])
            raw: str | bytes = source.read_bytes()
        except OSError as error:
            raise InvalidMeasures(
                [Problem("file", f"cannot read {source}: {error.strerror}")]
            ) from None
    elif isinstance(source, str | bytes):
        raw = source
    else:
        raw = source.read(MAXIMUM_BYTES + 1)
    if len(raw) > MAXIMUM_BYTES:
        raise InvalidMeasures([_too_large()])
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidMeasures([Problem("file", "the file is not UTF-8 text")]) from None
    try:
        return json.loads(raw.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        raise InvalidMeasures(
            [Problem("file", f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}")]
        ) from None
    except RecursionError:
        raise InvalidMeasures([Problem("file", "the JSON is nested too deeply")]) from None


def _too_large() -> Problem:
    return Problem("file", f"the file is larger than {MAXIMUM_BYTES // (1024 * 1024)} MiB")


# ---------------------------------------------------------------------------------------------
# Reading, every problem with its place in the file


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._paths: set[str] = set()
        self.positions: dict[str, tuple[int, ...]] = {"measures": (), "areas": (), "agreements": ()}
        self.unread: set[str] = set()

    def problem(self, path: str, message: str) -> None:
        # One problem a place: a missing key is `required`, not also `a string, not null`.
        if path not in self._paths:
            self._paths.add(path)
            self.problems.append(Problem(path, message))

    def file(
        self, document: Any, known_document_types: Mapping[str, DocumentType]
    ) -> tuple[MeasureData, str]:
        fields = self.object(document, "", "file")
        if fields is None:
            return MeasureData(), ""
        note = self.text(fields.get("note", ""), "note", limit=4000) or ""
        areas = self.entries(fields, "areas", self.area)
        agreements = self.entries(fields, "agreements", self.agreement)
        additional_codes = self.entries(fields, "additional_codes", self.additional_code)
        document_types = self.entries(fields, "document_types", self.document_type)
        self.unique(areas, "areas", lambda a: a.id, "area")
        self.unique(agreements, "agreements", lambda a: a.id, "agreement")
        self.unique(additional_codes, "additional_codes", lambda c: c.code, "additional code")
        self.unique(document_types, "document_types", lambda t: t.code, "document type")
        known = {**known_document_types, **{t.code: t for _, t in document_types}}
        measures = self.entries(fields, "measures", lambda v, p: self.measure(v, p, known))
        self.unique(measures, "measures", lambda m: m.id, "measure")
        self.positions = {
            "measures": tuple(i for i, _ in measures),
            "areas": tuple(i for i, _ in areas),
            "agreements": tuple(i for i, _ in agreements),
        }
        data = MeasureData(
            measures=tuple(m for _, m in measures),
            areas=tuple(a for _, a in areas),
            agreements=tuple(a for _, a in agreements),
            additional_codes=tuple(c for _, c in additional_codes),
            document_types=tuple(t for _, t in document_types),
        )
        return data, note

    def entries(
        self, fields: dict[str, Any], key: str, read: Callable[[Any, str], _T | None]
    ) -> list[tuple[int, _T]]:
        """The entries of a list at `key`, each read with its index (a bad one left out)."""
        value = fields.get(key, [])
        if not isinstance(value, list):
            self.problem(key, f"a list, not {_kind(value)}")
            return []
        found: list[tuple[int, _T]] = []
        for index, item in enumerate(value):
            entry = read(item, f"{key}.{index}")
            if entry is not None:
                found.append((index, entry))
            elif isinstance(item, dict):
                for name in ("id", "code"):
                    if isinstance(item.get(name), str):
                        self.unread.add(item[name])
        return found

    def unique(
        self, entries: Sequence[tuple[int, _T]], key: str, id_of: Callable[[_T], str], what: str
    ) -> None:
        seen: dict[str, int] = {}
        for index, entry in entries:
            identifier = id_of(entry)
            if identifier in seen:
                self.problem(
                    f"{key}.{index}",
                    f"{what} {identifier!r} is already defined at {key}.{seen[identifier]}",
                )
            seen.setdefault(identifier, index)

    # -- the entries ----------------------------------------------------------------------

    def area(self, value: Any, path: str) -> GeographicalArea | None:
        before = len(self.problems)  # any problem of this entry leaves it out
        fields = self.object(value, path, "area")
        if fields is None:
            return None
        identifier = self.identifier(fields.get("id"), f"{path}.id")
        description = self.text(fields.get("description"), f"{path}.description")
        kind = self.choice(fields.get("kind"), f"{path}.kind", [k.value for k in _AREA_KINDS])
        memberships: list[AreaMembership] = []
        listed = fields.get("memberships", [])
        if not isinstance(listed, list):
            self.problem(f"{path}.memberships", f"a list, not {_kind(listed)}")
        else:
            for index, item in enumerate(listed):
                membership = self.membership(item, f"{path}.memberships.{index}")
                if membership is not None:
                    memberships.append(membership)
        if len(self.problems) > before:
            return None
        assert identifier is not None and description is not None and kind is not None
        return GeographicalArea(identifier, description, AreaKind(kind), tuple(memberships))

    def membership(self, value: Any, path: str) -> AreaMembership | None:
        before = len(self.problems)  # any problem of this entry leaves it out
        fields = self.object(value, path, "membership")
        if fields is None:
            return None
        country = self.text(fields.get("country"), f"{path}.country", limit=2)
        valid_from = self.day(fields.get("valid_from"), f"{path}.valid_from")
        valid_to = self.optional_date(fields.get("valid_to"), f"{path}.valid_to")
        if country is None or valid_from is None or len(self.problems) > before:
            return None
        return AreaMembership(country, valid_from, valid_to)

    def agreement(self, value: Any, path: str) -> Agreement | None:
        fields = self.object(value, path, "agreement")
        if fields is None:
            return None
        identifier = self.identifier(fields.get("id"), f"{path}.id")
        name = self.text(fields.get("name"), f"{path}.name")
        area = self.identifier(fields.get("area"), f"{path}.area")
        if identifier is None or name is None or area is None:
            return None
        return Agreement(identifier, name, area)

    def additional_code(self, value: Any, path: str) -> AdditionalCode | None:
        fields = self.object(value, path, "additional_code")
        if fields is None:
            return None
        code = self.identifier(fields.get("code"), f"{path}.code", _CODE)
        description = self.text(fields.get("description"), f"{path}.description")
        if code is None or description is None:
            return None
        return AdditionalCode(code, description)

    def document_type(self, value: Any, path: str) -> DocumentType | None:
        fields = self.object(value, path, "document_type")
        if fields is None:
            return None
        code = self.identifier(fields.get("code"), f"{path}.code", _CODE)
        description = self.text(fields.get("description"), f"{path}.description")
        role = self.choice(fields.get("role"), f"{path}.role", [r.value for r in DocumentRole])
        if code is None or description is None or role is None:
            return None
        return DocumentType(code, description, DocumentRole(role))

    def measure(
        self, value: Any, path: str, document_types: Mapping[str, DocumentType]
    ) -> Measure | None:
        before = len(self.problems)  # any problem of this entry leaves it out
        fields = self.object(value, path, "measure")
        if fields is None:
            return None
        identifier = self.identifier(fields.get("id"), f"{path}.id")
        kind = self.choice(fields.get("type"), f"{path}.type", [t.value for t in MeasureType])
        goods_code = self.goods_code(fields.get("goods_code"), f"{path}.goods_code")
        area = self.identifier(fields.get("area"), f"{path}.area")
        valid_from = self.day(fields.get("valid_from"), f"{path}.valid_from")
        valid_to = self.optional_date(fields.get("valid_to"), f"{path}.valid_to")
        excluded = self.countries(fields.get("excluded", []), f"{path}.excluded")
        duty = self.duty(fields.get("duty"), f"{path}.duty")
        additional_code = self.optional(
            fields.get("additional_code"), f"{path}.additional_code", _CODE
        )
        agreement = self.optional(fields.get("agreement"), f"{path}.agreement", _ID)
        description = self.text(fields.get("description", ""), f"{path}.description")
        conditions = self.conditions(
            fields.get("conditions", []), f"{path}.conditions", document_types
        )
        if len(self.problems) > before:
            return None
        assert identifier is not None and kind is not None and goods_code is not None
        assert area is not None and valid_from is not None
        return Measure(
            id=identifier,
            type=MeasureType(kind),
            goods_code=goods_code,
            area=area,
            valid_from=valid_from,
            valid_to=valid_to,
            duty=duty,
            excluded=frozenset(excluded or ()),
            additional_code=additional_code or None,
            conditions=tuple(conditions or ()),
            agreement=agreement or None,
            description=description or "",
        )

    def conditions(
        self, value: Any, path: str, document_types: Mapping[str, DocumentType]
    ) -> list[MeasureCondition] | None:
        """A list of conditions, each a list of the document type codes any of which meets it."""
        if not isinstance(value, list):
            self.problem(path, f"a list of lists of document type codes, not {_kind(value)}")
            return None
        conditions: list[MeasureCondition] = []
        for index, codes in enumerate(value):
            where = f"{path}.{index}"
            if not isinstance(codes, list) or not codes:
                self.problem(where, "a non-empty list of document type codes (any one will do)")
                continue
            accepted: list[DocumentType] = []
            for position, code in enumerate(codes):
                if not isinstance(code, str):
                    self.problem(f"{where}.{position}", f"a document type code, not {_kind(code)}")
                elif code not in document_types:
                    self.problem(
                        f"{where}.{position}",
                        f"unknown document type {code!r} (known: {', '.join(document_types)}; "
                        "the file may define more in document_types)",
                    )
                else:
                    accepted.append(document_types[code])
            conditions.append(MeasureCondition(tuple(accepted)))
        return conditions

    # -- values ---------------------------------------------------------------------------

    def object(self, value: Any, path: str, what: str) -> dict[str, Any] | None:
        """A JSON object with its required keys and no unknown ones (to catch typos)."""
        at = f"{path}." if path else ""
        if not isinstance(value, dict):
            self.problem(path or "file", f"an object, not {_kind(value)}")
            return None
        required, optional = _KEYS[what]
        for key in sorted(required - value.keys()):
            self.problem(f"{at}{key}", "required")
        known = required | optional
        for key in value:
            if key not in known:
                self.problem(
                    f"{at}{key}", f"unknown key {key!r} (known: {', '.join(sorted(known))})"
                )
        return value

    def text(self, value: Any, path: str, limit: int = _TEXT_LENGTH) -> str | None:
        if not isinstance(value, str):
            self.problem(path, f"a string, not {_kind(value)}")
            return None
        if len(value) > limit:
            self.problem(path, f"longer than {limit} characters")
            return None
        return value.strip()

    def identifier(self, value: Any, path: str, pattern: re.Pattern[str] = _ID) -> str | None:
        text = self.text(value, path)
        if text is None:
            return None
        if not pattern.match(text):
            self.problem(
                path, f"{text!r} is not an id (letters, digits, - and _, at most 40 characters)"
            )
            return None
        return text

    def optional(self, value: Any, path: str, pattern: re.Pattern[str]) -> str | None:
        return None if value is None else self.identifier(value, path, pattern)

    def choice(self, value: Any, path: str, choices: list[str]) -> str | None:
        if value not in choices:
            self.problem(path, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return str(value)

    def goods_code(self, value: Any, path: str) -> str | None:
        text = self.text(value, path)
        if text is None:
            return None
        if not _GOODS_CODE.match(text):
            self.problem(
                path, f"{text!r} is not a goods code of 2, 4, 6 or 8 digits (dots allowed)"
            )
            return None
        return text.replace(".", "")

    def day(self, value: Any, path: str) -> date | None:
        if not isinstance(value, str):
            self.problem(path, f"an ISO date (YYYY-MM-DD), not {_kind(value)}")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problem(path, f"{value!r} is not an ISO date (YYYY-MM-DD)")
            return None

    def optional_date(self, value: Any, path: str) -> date | None:
        """None for an open end (a bad date is reported, and its entry left out)."""
        return None if value is None else self.day(value, path)

    def countries(self, value: Any, path: str) -> list[str] | None:
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            self.problem(path, "a list of country codes")
            return None
        return list(value)

    def duty(self, value: Any, path: str) -> Rate | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(path, f"a duty expression (a string such as '5%'), not {_kind(value)}")
            return None
        try:
            return Rate.parse(value)
        except Invalid as error:
            self.problem(path, error.problems[0].message)
            return None


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


# ---------------------------------------------------------------------------------------------
# Where a set's problems are in the file


def locate(problems: Sequence[Problem], data: MeasureData) -> list[Problem]:
    """`MeasureSet` names areas and agreements by id (`areas.RCEP.memberships.3`); a file
    names them by position (`areas.2.memberships.3`): the file's own are put at theirs."""
    positions = {
        "areas": {area.id: index for index, area in enumerate(data.areas)},
        "agreements": {agreement.id: index for index, agreement in enumerate(data.agreements)},
    }
    located: list[Problem] = []
    for problem in problems:
        key, _, rest = problem.path.partition(".")
        identifier, dot, tail = rest.partition(".")
        index = positions.get(key, {}).get(identifier)
        if index is not None:
            problem = Problem(f"{key}.{index}{dot}{tail}", problem.message)
        located.append(problem)
    return located


# ---------------------------------------------------------------------------------------------
# Writing: the stored data back as a file


def measure_file(data: MeasureData, note: str = "") -> dict[str, Any]:
    """`data` as a measure file (the JSON object `read_measure_file` reads back)."""
    found: dict[str, Any] = {"note": note} if note else {}
    found["areas"] = [_area(a) for a in data.areas]
    found["agreements"] = [{"id": a.id, "name": a.name, "area": a.area} for a in data.agreements]
    found["additional_codes"] = [
        {"code": c.code, "description": c.description} for c in data.additional_codes
    ]
    found["document_types"] = [
        {"code": t.code, "description": t.description, "role": t.role.value}
        for t in data.document_types
    ]
    found["measures"] = [_measure(m) for m in data.measures]
    return found


def _area(area: GeographicalArea) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": area.id,
        "description": area.description,
        "kind": area.kind.value,
    }
    if area.memberships:
        found["memberships"] = [
            {
                "country": m.country,
                "valid_from": m.valid_from.isoformat(),
                "valid_to": None if m.valid_to is None else m.valid_to.isoformat(),
            }
            for m in area.memberships
        ]
    return found


def _measure(measure: Measure) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": measure.id,
        "type": measure.type.value,
        "goods_code": measure.goods_code,
        "area": measure.area,
        "valid_from": measure.valid_from.isoformat(),
        "valid_to": None if measure.valid_to is None else measure.valid_to.isoformat(),
    }
    if measure.excluded:
        found["excluded"] = sorted(measure.excluded)
    if measure.duty is not None:
        found["duty"] = measure.duty.text
    if measure.additional_code is not None:
        found["additional_code"] = measure.additional_code
    if measure.conditions:
        found["conditions"] = [[t.code for t in c.accepted] for c in measure.conditions]
    if measure.agreement is not None:
        found["agreement"] = measure.agreement
    if measure.description:
        found["description"] = measure.description
    return found
