"""Use cases of the classification assistant: suggest the subheadings of a goods description
(with the national lines of the node's schedule under them), and learn from the codes
officers confirm or correct and from the final codes of released declarations."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.classification import repository
from singlewindow.classification.assistant import Assistant, Label, LearntLabels, assistant
from singlewindow.classification.errors import InvalidLabel, NotAClassifier
from singlewindow.classification.model import (
    NationalLine,
    Suggestion,
    check_description,
    check_top,
    subheading_of,
)
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Problem
from singlewindow.declarations.events import DeclarationReleased
from singlewindow.tariff import nomenclature
from singlewindow.tariff.services import TariffBooks

LABELS_RECHECK_SECONDS = 1.0  # labels another worker stored are seen within about this
MOST_NATIONAL_LINES = 12


def suggest_offline(texts: Sequence[str], top: int = 5) -> list[list[Suggestion]]:
    """Suggestions from the packaged assistant alone, with no node (the `classify` command):
    no labels, no national lines. Each text is checked first (DescriptionRefused)."""
    check_top(top)
    checked = [check_description(t) for t in texts]
    ranker = assistant()
    return [[Suggestion(r.code, r.confidence, ranker.text(r.code)) for r in ranked]
            for ranked in ranker.rank(checked, top)]


class Classifier:
    """The node's assistant: the packaged ranker, the labels of this node's database (read
    when they moved, at most every `LABELS_RECHECK_SECONDS`), its schedule's national lines."""

    def __init__(self, database: Database, country: str | None = None,
                 tariff: TariffBooks | None = None, ranker: Assistant | None = None) -> None:
        self.database = database
        self.country = country
        self.tariff = tariff
        self._ranker = ranker
        self._labels = LearntLabels()
        self._last_row = 0
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self._lines_of: tuple[tuple[int, date] | None, dict[str, tuple[NationalLine, ...]]] = (
            None, {})

    @property
    def ranker(self) -> Assistant:
        return self._ranker or assistant()

    def suggest(self, text: str, top: int = 5) -> list[Suggestion]:
        """The `top` subheadings most likely for `text`, best first."""
        return self.suggest_many([text], top)[0]

    def suggest_many(self, texts: Sequence[str], top: int = 5) -> list[list[Suggestion]]:
        check_top(top)
        checked = [check_description(t, "text" if len(texts) == 1 else f"texts.{i}")
                   for i, t in enumerate(texts)]
        labels = self._fresh_labels()
        today = utcnow().date()
        return [[Suggestion(r.code, r.confidence, self.ranker.text(r.code),
                            self._national_lines(r.code, today), r.learnt) for r in ranked]
                for ranked in self.ranker.rank(checked, top, labels)]

    def learn(self, description: str, code: str, by: Principal) -> Suggestion:
        """An officer's word: `code` (a subheading, or a national line of 8 digits) is right
        for `description`. The same description then ranks it first."""
        if by.role not in (Role.OFFICER, Role.ADMIN):
            raise NotAClassifier(
                f"only customs officers teach the assistant; you are {by.role.value}")
        text = check_description(description, "description")
        subheading = subheading_of(code)
        if not nomenclature.exists(subheading):
            raise InvalidLabel([Problem("code", f"{subheading} is not a subheading of HS 2022")])
        said = self.ranker.rank([text], 1, self._fresh_labels())[0]
        with self.database.unit_of_work() as session:
            repository.add(session, Label(text, subheading), by=by.username, at=utcnow(),
                           suggested=said[0].code if said else None)
        self._fresh_labels(force=True)
        return Suggestion(subheading, 1.0, self.ranker.text(subheading),
                          self._national_lines(subheading, utcnow().date()), learnt=True)

    def on_release(self, session: Session, event: DeclarationReleased) -> None:
        """A declaration an officer released teaches the assistant its items' final codes
        (as weaker labels than an officer's word), in the release's transaction. A release by
        rule (green, paid) teaches nothing: its codes are the declarant's word, unchecked,
        and the lodgement's hot path stays without a write more."""
        if event.released_by is None or event.released_by.startswith("rule:"):
            return
        for item in event.declaration.items:
            description = " ".join(item.description.split())[:1000]
            if description and len(item.commodity_code) >= 6:
                repository.add(session, Label(description, item.commodity_code[:6], False),
                               by=event.released_by or "rule", at=event.released_at,
                               declaration=event.number)

    def _fresh_labels(self, force: bool = False) -> LearntLabels:
        now = time.monotonic()
        if not force and now - self._checked_at < LABELS_RECHECK_SECONDS:
            return self._labels
        with self.database.unit_of_work() as session, self._lock:
            for row, label in repository.since(session, self._last_row):
                self._labels.add(label)
                self._last_row = row
            self._checked_at = now
        return self._labels

    def _national_lines(self, subheading: str, today: date) -> tuple[NationalLine, ...]:
        """The node's 8-digit lines under a subheading, in force today (none off a node)."""
        if self.tariff is None or self.country is None:
            return ()
        book = self.tariff.book(self.country)
        key = (book.revision, today)
        with self._lock:
            if self._lines_of[0] != key:  # the schedule's lines by subheading, once a day
                by_subheading: dict[str, list[NationalLine]] = {}
                for line in book.lines(today):
                    by_subheading.setdefault(line.code[:6], []).append(
                        NationalLine(line.code, line.description))
                self._lines_of = (key, {k: tuple(v[:MOST_NATIONAL_LINES])
                                        for k, v in by_subheading.items()})
            return self._lines_of[1].get(subheading, ())
