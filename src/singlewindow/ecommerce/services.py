"""Use cases of the e-commerce room: a platform's (or courier's) manifest of parcels checked,
assessed, screened and answered per parcel; the duties consolidated for one payment; a
parcel followed by its order reference; officers' decisions on held parcels, which feed the
records of sellers, platforms and couriers; the admin's de minimis rules.

A manifest is read whole once its size is known to be within the limit (the API counts its
bytes as they stream in), then worked in one transaction: the rules, records, earlier parcels
of the same buyers and the order references already declared are loaded once per manifest,
not once per parcel, and the parcels are written with one Core bulk insert.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import as_utc, utcnow
from singlewindow.core.countries import ASEAN
from singlewindow.core.db import Database, Prepared
from singlewindow.core.errors import Problem
from singlewindow.core.ids import new_id
from singlewindow.core.money import round_to_minor_unit
from singlewindow.declarations.lifecycle import representation_problem
from singlewindow.declarations.repository import representations_between
from singlewindow.ecommerce.errors import (
    DecisionConflict,
    InvalidManifest,
    NotForPlatform,
    UnknownParcel,
)
from singlewindow.ecommerce.model import (
    DOCUMENTS,
    FIELDS,
    MAX_PARCELS,
    MAX_PARTY,
    REQUIRED,
    SPLIT_WINDOW,
    Consolidation,
    Decision,
    DeMinimis,
    Earlier,
    Parcel,
    PartyHistory,
    PartyKind,
    RejectedLine,
    Verdict,
    assess,
    check_parcel,
    de_minimis_problems,
    decision_refusal,
    normalised,
    rule_on,
    sample_de_minimis,
    screen,
    subject_of,
)
from singlewindow.ecommerce.repository import (
    DeMinimisRow,
    HistoryRow,
    ManifestRow,
    ParcelRow,
    table,
)
from singlewindow.reference.services import ReferenceData
from singlewindow.risk.model import InspectionOutcome, RiskSubject, Selection
from singlewindow.risk.services import (
    Selectivity,
    record_outcome,
    record_selections,
    selectivity_of,
)
from singlewindow.tariff.services import TariffBooks, tariff_books

# The classification room's question (`Classifier.doubts`): for (description, declared code)
# pairs, a reason each code is unlikely for its description, or None.
CodeDoubts = Callable[[Sequence[tuple[str, str]]], list[str | None]]

JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines",
              "application/json-lines", "application/jsonlines")
CSV = ("text/csv", "application/csv")
CHUNK = 500  # parameters per IN list: well within either engine's limits
MAX_PROBLEMS = 1000  # problems listed when a whole manifest is refused
# Parcels go in through the driver at once: SQLAlchemy's work per row (parameters, context)
# cost a third of a manifest's time.
_INSERT_PARCELS = Prepared(table(ParcelRow).insert(),
                           [column.key for column in table(ParcelRow).columns])


# -- what callers see ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ParcelView:
    """A parcel as its platform sees it (officers also get `reasons`, `rule_ids`, `random`)."""

    id: str
    manifest_id: str
    line: int
    platform: str
    order_reference: str
    seller: str
    buyer: str
    description: str
    code: str | None
    courier: str | None
    quantity: int
    value: Decimal
    currency: str
    origin: str
    transport_document: str
    status: Verdict
    documents: tuple[str, ...]
    value_national: Decimal
    duty: Decimal
    vat: Decimal
    national_currency: str
    basis: str
    notes: tuple[str, ...]
    split_with: tuple[str, ...]
    declared_at: datetime
    decision: str | None = None
    decided_at: datetime | None = None
    reasons: tuple[str, ...] | None = None  # None for the platform: risk is customs' own
    rule_ids: tuple[str, ...] | None = None
    random: bool | None = None
    decision_note: str | None = None
    decided_by: str | None = None


@dataclass(frozen=True)
class ManifestView:
    id: str
    platform: str
    submitted_by: str
    submitted_at: datetime
    format: str
    lines: int
    parcels: int
    counts: dict[str, int]
    rejected: tuple[RejectedLine | dict[str, Any], ...]
    codes_checked: bool
    due: Consolidation


@dataclass
class ManifestResult:
    """A submitted manifest with every parcel's result (in line order), made when asked (the
    API answers with the manifest and pages the results)."""

    manifest: ManifestView
    rows: list[dict[str, Any]]
    room: Ecommerce

    @cached_property
    def results(self) -> list[ParcelView]:
        return [self.room._view(row, officer=False) for row in self.rows]


def _documents(status: Verdict) -> tuple[str, ...]:
    return DOCUMENTS.get(status, ())


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# -- reading a manifest -------------------------------------------------------------------------


def manifest_format(content_type: str | None) -> str:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind in JSON_LINES:
        return "jsonl"
    if kind in CSV:
        return "csv"
    raise InvalidManifest([Problem("content-type", f"a manifest is JSON lines "
                                   f"({JSON_LINES[0]}) or CSV (text/csv), not {kind or 'none'}")])


def read_lines(body: bytes, kind: str) -> Iterator[tuple[int, object]]:
    """(line number, raw parcel) per line; a line that cannot be read at all is a str, its
    reason. Blank lines are skipped but keep their numbers."""
    if kind == "jsonl":
        yield from _json_lines(body)
    else:
        yield from _csv_lines(body)


def _json_lines(body: bytes) -> Iterator[tuple[int, object]]:
    for number, raw in enumerate(body.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            yield number, orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            yield number, f"not a JSON object: {str(error)[:120]}"


def _csv_lines(body: bytes) -> Iterator[tuple[int, object]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = body[:error.start].count(b"\n") + 1
        raise InvalidManifest([Problem(f"lines.{line}", "the CSV is not UTF-8 text")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    columns = [c.strip() for c in header]
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in FIELDS]
    if missing or unknown or len(set(columns)) != len(columns):
        problems = []
        if missing:
            problems.append(Problem("lines.1", f"missing column(s): {', '.join(missing)}"))
        if unknown:
            problems.append(Problem("lines.1", f"unknown column(s): {', '.join(unknown)[:200]}"))
        if len(set(columns)) != len(columns):
            problems.append(Problem("lines.1", "a column is named twice"))
        raise InvalidManifest(problems)
    width = len(columns)
    try:
        for cells in reader:
            number = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != width:
                yield number, f"{len(cells)} cells where the header has {width} columns"
                continue
            yield number, {name: cell for name, cell in zip(columns, cells, strict=True)
                           if cell.strip()}
    except csv.Error as error:
        raise InvalidManifest([Problem(f"lines.{reader.line_num}",
                                       f"unreadable CSV: {error}")]) from None


# -- the room -----------------------------------------------------------------------------------


class Ecommerce:
    """Low-value consignments at one node."""

    def __init__(
        self,
        database: Database,
        country: str,
        *,
        selectivity: Selectivity,
        tariff: TariffBooks,
        reference: ReferenceData | None = None,
        code_doubts: CodeDoubts | None = None,
        office: str | None = None,
    ) -> None:
        """`code_doubts`: the classification assistant's doubts about declared codes (None: not
        asked). `office`: the customs office the node's risk rules see parcels at."""
        self.database = database
        self.country = country
        self.currency = ASEAN[country].currency
        self.selectivity = selectivity
        self.tariff = tariff
        self.reference = reference or ReferenceData(database, country)
        self.code_doubts = code_doubts
        self.office = office
        self.window = SPLIT_WINDOW
        self.ensure_sample_rule()

    # -- de minimis -----------------------------------------------------------------------------

    def ensure_sample_rule(self) -> None:
        """The packaged sample rule of the country, until the admin sets one."""
        with self.database.unit_of_work() as session:
            if session.scalar(select(func.count()).select_from(DeMinimisRow)
                              .where(DeMinimisRow.country == self.country)):
                return
            _add_rule(session, sample_de_minimis(self.country), utcnow())

    def rules(self) -> list[DeMinimis]:
        with self.database.unit_of_work() as session:
            return _rules(session, self.country)

    def rule_on(self, on: date) -> DeMinimis | None:
        return rule_on(self.rules(), on)

    def set_rule(self, rule: DeMinimis, actor: Principal) -> DeMinimis:
        """The admin's rule from `valid_from`: an open rule of the admin's that started before
        ends the day before; one it would overlap otherwise is refused."""
        if actor.role is not Role.ADMIN:
            raise NotForPlatform("de minimis rules are set by an admin")
        if rule.country != self.country:
            raise InvalidManifest([Problem("country", f"this node sets the rules of "
                                                      f"{self.country}")])
        problems = de_minimis_problems(rule)
        if problems:
            raise InvalidManifest(problems)
        rule = DeMinimis(rule.country, rule.currency, rule.duty_threshold, rule.vat_threshold,
                         rule.flat_duty_percent, rule.standard_vat_percent, rule.valid_from,
                         rule.valid_to, sample=False, set_by=actor.username)
        with self.database.unit_of_work() as session:
            rows = session.scalars(select(DeMinimisRow).where(
                DeMinimisRow.country == self.country, DeMinimisRow.sample.is_(False))
                .with_for_update()).all()
            for row in rows:
                if not row.rule().overlaps(rule):
                    continue
                if row.valid_from < rule.valid_from and row.valid_to is None:
                    row.valid_to = date.fromordinal(rule.valid_from.toordinal() - 1)
                    continue
                raise InvalidManifest([Problem("valid_from", f"overlaps the rule from "
                                               f"{row.valid_from} to {row.valid_to or 'open'}")])
            _add_rule(session, rule, utcnow())
        return rule

    # -- submitting -----------------------------------------------------------------------------

    def may_submit(self, session: Session, submitter: Principal, platform: str,
                   on: date) -> None:
        if submitter.role is not Role.TRADER or not submitter.party_id:
            raise NotForPlatform("a manifest is submitted by a trader: the platform or courier, "
                                 "or its representative")
        if platform == submitter.party_id:
            return
        held = representations_between(session, submitter.party_id, platform)
        refusal = representation_problem(submitter.party_id, platform, held, on)
        if refusal is not None:
            raise NotForPlatform(refusal)

    def submit(
        self,
        body: bytes,
        content_type: str | None,
        submitter: Principal,
        platform: str | None = None,
        *,
        now: datetime | None = None,
    ) -> ManifestResult:
        """Every parcel of the manifest checked, assessed and screened; the rejected lines with
        their numbers and reasons. A manifest without one valid parcel is refused whole
        (`InvalidManifest`) and nothing is kept."""
        now = now or utcnow()
        today = now.date()
        if submitter.role is not Role.TRADER or not submitter.party_id:
            raise NotForPlatform("a manifest is submitted by a trader: the platform or courier, "
                                 "or its representative")
        kind = manifest_format(content_type)
        platform = (platform or submitter.party_id or "").strip()
        if not platform or len(platform) > MAX_PARTY:
            raise InvalidManifest([Problem("platform", f"the platform or courier is named, in "
                                                       f"1 to {MAX_PARTY} characters")])
        parcels: list[Parcel] = []
        rejected: list[RejectedLine] = []
        seen: dict[str, int] = {}
        for number, raw in read_lines(body, kind):
            if len(parcels) + len(rejected) >= MAX_PARCELS:
                raise InvalidManifest([Problem("lines", f"a manifest has at most {MAX_PARCELS} "
                                                        "parcels; split it")])
            checked = (RejectedLine(number, None, (Problem(f"lines.{number}", raw),))
                       if isinstance(raw, str) else check_parcel(raw, number, platform))
            if isinstance(checked, RejectedLine):
                rejected.append(checked)
                continue
            first = seen.setdefault(checked.order_reference, number)
            if first != number:
                rejected.append(_duplicate(checked, f"line {first} of this manifest"))
                continue
            parcels.append(checked)
        if not parcels and not rejected:
            raise InvalidManifest([Problem("lines", "the manifest has no parcel")])
        # Asked before the transaction: the caches read the database themselves.
        state = self.selectivity.state()
        book = self.tariff.book(self.country)
        rates = {c: self.reference.rate(c, today) for c in {p.currency for p in parcels}}
        doubts = self._doubts(parcels)
        with self.database.unit_of_work() as session:
            self.may_submit(session, submitter, platform, today)
            rule = rule_on(_rules(session, self.country), today)
            if rule is None:
                raise InvalidManifest([Problem("", f"no de minimis rule of {self.country} is in "
                                                   f"force on {today}; an admin sets one")])
            declared = _declared(session, platform, [p.order_reference for p in parcels])
            earlier = _earlier(session, {(p.buyer_key[:MAX_PARTY], p.seller_key[:MAX_PARTY])
                                         for p in parcels}, now - self.window)
            histories = _histories(session, parcels)
            manifest_id = new_id()
            rows: list[dict[str, Any]] = []
            accepted: list[Parcel] = []
            selected: list[tuple[str, str, RiskSubject, Selection]] = []
            for parcel in parcels:
                problem = self._refusal(parcel, declared, rates, book, today)
                if problem is not None:
                    rejected.append(problem)
                    continue
                line = book.line(parcel.code, today) if parcel.code and len(parcel.code) == 8 \
                    else None
                rate = rates[parcel.currency]
                assert rate is not None
                group = earlier.setdefault((parcel.buyer_key[:MAX_PARTY],
                                            parcel.seller_key[:MAX_PARTY]), [])
                assessment = assess(parcel, rate, rule, line, group, now, self.window)
                subject = subject_of(parcel, assessment, self.office)
                screening = screen(subject, state.rules, state.policy, histories,
                                   _parties(parcel), today, self.selectivity.rng,
                                   doubts.get(parcel.line))
                status = screening.verdict
                code6 = parcel.code[:6] if parcel.code else None
                group.append(Earlier(parcel.order_reference, parcel.buyer_key,
                                     parcel.seller_key, parcel.goods_key, code6, now,
                                     assessment.value_national, assessment.duty_if_due,
                                     assessment.vat_if_due, assessment.duty, assessment.vat))
                accepted.append(parcel)
                parcel_id = new_id()
                if screening.selection is not None and (screening.rule_ids or screening.random):
                    # Kept in risk's history only when a rule hit or the draw picked it: what
                    # the rules' hit rates and the random sample are counted from.
                    selected.append((parcel_id, "parcel", subject, screening.selection))
                rows.append({
                    "id": parcel_id, "manifest_id": manifest_id, "line": parcel.line,
                    "platform": platform, "order_reference": parcel.order_reference,
                    "seller": parcel.seller, "seller_key": parcel.seller_key[:MAX_PARTY],
                    "buyer": parcel.buyer, "buyer_key": parcel.buyer_key[:MAX_PARTY],
                    "description": parcel.description, "goods_key": parcel.goods_key[:512],
                    "code": parcel.code, "code6": code6, "courier": parcel.courier,
                    "quantity": parcel.quantity, "value": parcel.value,
                    "currency": parcel.currency, "origin": parcel.origin,
                    "transport_document": parcel.transport_document,
                    "value_national": assessment.value_national,
                    "duty_if_due": assessment.duty_if_due, "vat_if_due": assessment.vat_if_due,
                    "duty": assessment.duty, "vat": assessment.vat,
                    "basis": assessment.basis[:300], "notes": list(assessment.notes),
                    "split_with": list(assessment.split_with), "status": status.value,
                    "reasons": list(screening.reasons), "rule_ids": list(screening.rule_ids),
                    "random": screening.random, "declared_at": now, "decision": None,
                    "decision_note": None, "decided_by": None, "decided_at": None,
                })
            rejected.sort(key=lambda r: r.line)
            if not rows:
                problems = [p for r in rejected for p in r.problems]
                more = len(problems) - MAX_PROBLEMS
                problems = problems[:MAX_PROBLEMS]
                if more > 0:
                    problems.append(Problem("lines", f"and {more} more problems"))
                raise InvalidManifest(problems, f"no parcel of the manifest is valid "
                                                f"({len(rejected)} lines rejected)")
            due = Consolidation(self.currency)
            for row in rows:
                due.add(Verdict(row["status"]), row["duty"], row["vat"])
            counts = dict(due.by_status)
            if rejected:
                counts[Verdict.REJECTED.value] = len(rejected)
            session.add(ManifestRow(
                id=manifest_id, platform=platform, submitted_by=submitter.username,
                submitted_at=now, format=kind, lines=len(rows) + len(rejected),
                counts=counts, rejected=[r.as_dict() for r in rejected],
                currency=self.currency, codes_checked=self.code_doubts is not None))
            session.flush()
            record_selections(session, selected, now=now)
            try:
                _INSERT_PARCELS.executemany(session.connection(), rows)
            except IntegrityError:
                raise DecisionConflict("another manifest declared one of these order references "
                                       "at the same moment; send the manifest again") from None
        view = ManifestView(manifest_id, platform, submitter.username, now, kind,
                            len(rows) + len(rejected), len(rows), counts, tuple(rejected),
                            self.code_doubts is not None, due)
        return ManifestResult(view, rows, self)

    def _doubts(self, parcels: Sequence[Parcel]) -> dict[int, str | None]:
        if self.code_doubts is None:
            return {}
        coded = [p for p in parcels if p.code]
        if not coded:
            return {}
        answers = self.code_doubts([(p.description, p.code or "") for p in coded])
        return {p.line: answer for p, answer in zip(coded, answers, strict=True) if answer}

    def _refusal(self, parcel: Parcel, declared: dict[str, tuple[str, int]],
                 rates: dict[str, Any], book: Any, today: date) -> RejectedLine | None:
        at = f"lines.{parcel.line}"
        earlier = declared.get(parcel.order_reference)
        if earlier is not None:
            return _duplicate(parcel, f"line {earlier[1]} of manifest {earlier[0]}")
        if rates.get(parcel.currency) is None:
            return RejectedLine(parcel.line, parcel.order_reference, (Problem(
                f"{at}.currency", f"customs publish no {parcel.currency} rate for {today}"),))
        if parcel.code and len(parcel.code) == 8 and book.line(parcel.code, today) is None:
            return RejectedLine(parcel.line, parcel.order_reference, (Problem(
                f"{at}.code", f"{parcel.code} is not a line of the tariff of {self.country} in "
                              f"force on {today}"),))
        return None

    # -- reading ----------------------------------------------------------------------------------

    def _view(self, row: dict[str, Any] | ParcelRow, officer: bool) -> ParcelView:
        data: dict[str, Any] = row if isinstance(row, dict) else {
            column.key: getattr(row, column.key) for column in table(ParcelRow).columns}
        status = Verdict(data["status"])
        return ParcelView(
            data["id"], data["manifest_id"], data["line"], data["platform"],
            data["order_reference"], data["seller"], data["buyer"], data["description"],
            data["code"], data["courier"], data["quantity"],
            round_to_minor_unit(Decimal(data["value"]), data["currency"]),
            data["currency"], data["origin"], data["transport_document"], status,
            _documents(status), self._money(data["value_national"]), self._money(data["duty"]),
            self._money(data["vat"]), self.currency, data["basis"], tuple(data["notes"]),
            tuple(data["split_with"]), as_utc(data["declared_at"]), data.get("decision"),
            data.get("decided_at"),
            tuple(data["reasons"]) if officer else None,
            tuple(data["rule_ids"]) if officer else None,
            bool(data["random"]) if officer else None,
            data.get("decision_note") if officer else None,
            data.get("decided_by") if officer else None,
        )

    def _money(self, amount: Decimal | int | str) -> Decimal:
        return round_to_minor_unit(Decimal(amount), self.currency)

    def _visible(self, session: Session, reader: Principal, platform: str) -> bool:
        if reader.role in (Role.OFFICER, Role.ADMIN):
            return True
        if reader.role is not Role.TRADER or not reader.party_id:
            return False
        if reader.party_id == platform:
            return True
        held = representations_between(session, reader.party_id, platform)
        return representation_problem(reader.party_id, platform, held, utcnow().date()) is None

    def manifest(self, manifest_id: str, reader: Principal) -> ManifestView:
        with self.database.unit_of_work() as session:
            row = session.get(ManifestRow, manifest_id)
            if row is None or not self._visible(session, reader, row.platform):
                raise UnknownParcel(f"no manifest {manifest_id}")
            due = _consolidate(session, self.currency, ParcelRow.manifest_id == manifest_id)
            return ManifestView(row.id, row.platform, row.submitted_by, row.submitted_at,
                                row.format, row.lines, due.parcels, dict(row.counts),
                                tuple(row.rejected), row.codes_checked, due)

    def manifests(self, reader: Principal, platform: str | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[list[ManifestView], int]:
        """A platform's manifests, latest first (officers: every platform's, or one's)."""
        officer = reader.role in (Role.OFFICER, Role.ADMIN)
        platform = platform if officer else (platform or reader.party_id)
        with self.database.unit_of_work() as session:
            if not officer and (platform is None or not self._visible(session, reader, platform)):
                return [], 0
            where = [ManifestRow.platform == platform] if platform else []
            rows = session.scalars(select(ManifestRow).where(*where)
                                   .order_by(ManifestRow.submitted_at.desc(), ManifestRow.id)
                                   .limit(limit).offset(offset)).all()
            total = session.scalar(select(func.count()).select_from(ManifestRow).where(*where))
            views = []
            for row in rows:
                due = _consolidate(session, self.currency, ParcelRow.manifest_id == row.id)
                views.append(ManifestView(row.id, row.platform, row.submitted_by,
                                          row.submitted_at, row.format, row.lines, due.parcels,
                                          dict(row.counts), tuple(row.rejected),
                                          row.codes_checked, due))
            return views, total or 0

    def parcels(self, manifest_id: str, reader: Principal, status: Verdict | None = None,
                limit: int = 100, offset: int = 0) -> tuple[list[ParcelView], int]:
        """A manifest's parcel results in line order, paged."""
        with self.database.unit_of_work() as session:
            manifest = session.get(ManifestRow, manifest_id)
            if manifest is None or not self._visible(session, reader, manifest.platform):
                raise UnknownParcel(f"no manifest {manifest_id}")
            where = [ParcelRow.manifest_id == manifest_id]
            if status is not None:
                where.append(ParcelRow.status == status.value)
            rows = session.scalars(select(ParcelRow).where(*where).order_by(ParcelRow.line)
                                   .limit(limit).offset(offset)).all()
            total = session.scalar(select(func.count()).select_from(ParcelRow).where(*where))
            officer = reader.role in (Role.OFFICER, Role.ADMIN)
            return [self._view(r, officer) for r in rows], total or 0

    def follow(self, order_reference: str, reader: Principal,
               platform: str | None = None) -> list[ParcelView]:
        """The parcel(s) of an order reference the reader may see: a platform its own (or
        those of the platform it represents), officers every platform's."""
        officer = reader.role in (Role.OFFICER, Role.ADMIN)
        with self.database.unit_of_work() as session:
            where = [ParcelRow.order_reference == order_reference]
            if platform is not None:
                where.append(ParcelRow.platform == platform)
            elif not officer:
                where.append(ParcelRow.platform == (reader.party_id or ""))
            rows = [r for r in session.scalars(select(ParcelRow).where(*where)
                                               .order_by(ParcelRow.platform).limit(100))
                    if self._visible(session, reader, r.platform)]
            if not rows:
                raise UnknownParcel(f"no parcel with order reference {order_reference!r}")
            return [self._view(r, officer) for r in rows]

    def held(self, reader: Principal, status: Verdict | None = None, limit: int = 50,
             offset: int = 0) -> tuple[list[ParcelView], int]:
        """The officers' worklist: held parcels, oldest first, with their reasons."""
        _officer(reader)
        statuses = [status.value] if status is not None and status.held else [
            Verdict.HELD_DOCUMENTS.value, Verdict.HELD_INSPECTION.value]
        with self.database.unit_of_work() as session:
            where = [ParcelRow.status.in_(statuses)]
            rows = session.scalars(select(ParcelRow).where(*where)
                                   .order_by(ParcelRow.declared_at, ParcelRow.id)
                                   .limit(limit).offset(offset)).all()
            total = session.scalar(select(func.count()).select_from(ParcelRow).where(*where))
            return [self._view(r, True) for r in rows], total or 0

    def parcel(self, parcel_id: str, reader: Principal) -> ParcelView:
        with self.database.unit_of_work() as session:
            row = session.get(ParcelRow, parcel_id)
            if row is None or not self._visible(session, reader, row.platform):
                raise UnknownParcel(f"no parcel {parcel_id}")
            return self._view(row, reader.role in (Role.OFFICER, Role.ADMIN))

    def consolidated(self, reader: Principal, platform: str | None, since: date,
                     until: date) -> Consolidation:
        """What a platform owes for the parcels it declared from `since` to `until` (both
        days included): one payment for all its manifests."""
        officer = reader.role in (Role.OFFICER, Role.ADMIN)
        platform = platform if officer else (platform or reader.party_id)
        if platform is None:
            raise InvalidManifest([Problem("platform", "name the platform")])
        if until < since or (until - since).days > 366:
            raise InvalidManifest([Problem("until", "the period runs forward, at most a year")])
        start = datetime.combine(since, datetime.min.time(), tzinfo=utcnow().tzinfo)
        end = datetime.combine(date.fromordinal(until.toordinal() + 1), datetime.min.time(),
                               tzinfo=utcnow().tzinfo)
        with self.database.unit_of_work() as session:
            if not self._visible(session, reader, platform):
                raise UnknownParcel(f"no parcels of platform {platform!r} you may see")
            return _consolidate(session, self.currency, ParcelRow.platform == platform,
                                ParcelRow.declared_at >= start, ParcelRow.declared_at < end)

    # -- officers' decisions ----------------------------------------------------------------------

    def decide(self, parcel_id: str, decision: Decision, officer: Principal,
               note: str = "", *, now: datetime | None = None) -> ParcelView:
        """Release after documents or an inspection that found nothing, or refuse after one
        that found something; each result counts in the records of the parcel's seller,
        platform and courier."""
        _officer(officer)
        if len(note) > 500:
            raise InvalidManifest([Problem("note", "a note is at most 500 characters")])
        now = now or utcnow()
        with self.database.unit_of_work() as session:
            row = session.get(ParcelRow, parcel_id, with_for_update=True)
            if row is None:
                raise UnknownParcel(f"no parcel {parcel_id}")
            refusal = decision_refusal(Verdict(row.status), decision)
            if refusal is not None:
                raise DecisionConflict(refusal)
            row.status = (Verdict.RELEASED if decision.releases else Verdict.REJECTED).value
            row.decision = decision.value
            row.decision_note = note or None
            row.decided_by = officer.username
            row.decided_at = now
            found = decision is Decision.FOUND
            # The result counts for the rule or random draw that selected it, if any did.
            record_outcome(session, row.id, InspectionOutcome.DISCREPANCY if found
                           else InspectionOutcome.NO_DISCREPANCY, now=now)
            for kind, party in _party_keys(row.seller_key, row.platform, row.courier):
                history = session.get(HistoryRow, (kind.value, party), with_for_update=True)
                if history is None:
                    session.add(HistoryRow(kind=kind.value, party=party, inspected=1,
                                           irregular=int(found)))
                else:
                    history.inspected += 1
                    history.irregular += int(found)
            session.flush()
            return self._view(row, True)

    def history(self, kind: PartyKind, party: str) -> PartyHistory:
        key = party if kind is PartyKind.PLATFORM else normalised(party)
        with self.database.unit_of_work() as session:
            row = session.get(HistoryRow, (kind.value, key))
            return row.history() if row else PartyHistory(kind, key)


# The room each database is wired with in this process, kept on the database (as selectivity
# and the tariff books are), for the API and the pages.
_KEPT_AS = "ecommerce"


def ecommerce_of(database: Database, country: str,
                 code_doubts: CodeDoubts | None = None) -> Ecommerce:
    """The room for `database`, made at its first use with the node's selectivity and tariff
    books."""
    # Asked before `kept`, which holds the database's lock while it makes the room.
    chooser, books = selectivity_of(database), tariff_books(database)
    return database.kept(_KEPT_AS, lambda: Ecommerce(
        database, country, selectivity=chooser, tariff=books, code_doubts=code_doubts))


# -- helpers ------------------------------------------------------------------------------------


def _officer(reader: Principal) -> None:
    if reader.role not in (Role.OFFICER, Role.ADMIN):
        raise NotForPlatform("held parcels and their reasons are for customs officers")


def _duplicate(parcel: Parcel, where: str) -> RejectedLine:
    return RejectedLine(parcel.line, parcel.order_reference, (Problem(
        f"lines.{parcel.line}.order_reference",
        f"order reference {parcel.order_reference!r} was already declared ({where}); a parcel "
        "is declared once"),))


def _party_keys(seller_key: str, platform: str,
                courier: str | None) -> list[tuple[PartyKind, str]]:
    keys = [(PartyKind.SELLER, seller_key[:MAX_PARTY]), (PartyKind.PLATFORM, platform)]
    if courier:
        keys.append((PartyKind.COURIER, normalised(courier)[:MAX_PARTY]))
    return keys


def _parties(parcel: Parcel) -> list[tuple[PartyKind, str]]:
    return _party_keys(parcel.seller_key, parcel.platform, parcel.courier)


def _add_rule(session: Session, rule: DeMinimis, at: datetime) -> None:
    session.add(DeMinimisRow(
        id=new_id(), country=rule.country, currency=rule.currency,
        duty_threshold=rule.duty_threshold, vat_threshold=rule.vat_threshold,
        flat_duty_percent=rule.flat_duty_percent, standard_vat_percent=rule.standard_vat_percent,
        valid_from=rule.valid_from, valid_to=rule.valid_to, sample=rule.sample,
        set_by=rule.set_by, set_at=at))


def _rules(session: Session, country: str) -> list[DeMinimis]:
    return [row.rule() for row in session.scalars(
        select(DeMinimisRow).where(DeMinimisRow.country == country)
        .order_by(DeMinimisRow.valid_from))]


def _declared(session: Session, platform: str,
              references: Sequence[str]) -> dict[str, tuple[str, int]]:
    """The order references of `platform` already declared: their manifest and line."""
    found: dict[str, tuple[str, int]] = {}
    for chunk in _chunks(references):
        for reference, manifest, line in session.execute(
            select(ParcelRow.order_reference, ParcelRow.manifest_id, ParcelRow.line).where(
                ParcelRow.platform == platform, ParcelRow.order_reference.in_(chunk))
        ):
            found[reference] = (manifest, line)
    return found


def _earlier(session: Session, pairs: Iterable[tuple[str, str]],
             since: datetime) -> dict[tuple[str, str], list[Earlier]]:
    """The parcels of these (buyer, seller) pairs declared since `since` (any platform), not
    refused."""
    groups: dict[tuple[str, str], list[Earlier]] = {}
    columns = (ParcelRow.order_reference, ParcelRow.buyer_key, ParcelRow.seller_key,
               ParcelRow.goods_key, ParcelRow.code6, ParcelRow.declared_at,
               ParcelRow.value_national, ParcelRow.duty_if_due, ParcelRow.vat_if_due,
               ParcelRow.duty, ParcelRow.vat)
    wanted = set(pairs)
    for chunk in _chunks(sorted(wanted), CHUNK // 2):
        # Two IN lists walk the (buyer, seller, declared_at) index on either engine (a row
        # value IN does not on SQLite); the few pairs of their cross product not asked for
        # are dropped here.
        buyers = sorted({buyer for buyer, _ in chunk})
        sellers = sorted({seller for _, seller in chunk})
        for row in session.execute(select(*columns).where(
            ParcelRow.buyer_key.in_(buyers), ParcelRow.seller_key.in_(sellers),
            ParcelRow.declared_at >= since,
            ParcelRow.status != Verdict.REJECTED.value,
        ).order_by(ParcelRow.declared_at)):
            if (row[1], row[2]) not in wanted:
                continue
            earlier = Earlier(row[0], row[1], row[2], row[3], row[4], as_utc(row[5]),
                              *(Decimal(v) for v in row[6:]))
            groups.setdefault((row[1], row[2]), []).append(earlier)
    return groups


def _histories(session: Session,
               parcels: Sequence[Parcel]) -> dict[tuple[PartyKind, str], PartyHistory]:
    keys = sorted({(k.value, p) for parcel in parcels for k, p in _parties(parcel)})
    found: dict[tuple[PartyKind, str], PartyHistory] = {}
    for chunk in _chunks(keys):
        for row in session.scalars(select(HistoryRow).where(
                tuple_(HistoryRow.kind, HistoryRow.party).in_(chunk))):
            history = row.history()
            found[(history.kind, history.party)] = history
    return found


def _consolidate(session: Session, currency: str, *where: Any) -> Consolidation:
    due = Consolidation(currency)
    for status, count, duty, vat in session.execute(
        select(ParcelRow.status, func.count(), func.sum(ParcelRow.duty), func.sum(ParcelRow.vat))
        .where(*where).group_by(ParcelRow.status)
    ):
        due.add(Verdict(status), round_to_minor_unit(Decimal(duty or 0), currency),
                round_to_minor_unit(Decimal(vat or 0), currency), count)
    return due
