"""Use cases of the classification assistant: suggest the subheadings of a goods description
(with the national lines of the node's schedule under them), and learn from the codes
officers confirm or correct and from the final codes of released declarations."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.classification import repository
from singlewindow.classification.assistant import (
    MOST_LABELS,
    Assistant,
    Label,
    LearntLabels,
    Weighed,
    assistant,
)
from singlewindow.classification.errors import DescriptionRefused, InvalidLabel, NotAClassifier
from singlewindow.classification.model import (
    NationalLine,
    Suggestion,
    check_description,
    check_top,
    is_vague,
    subheading_of,
)
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Problem
from singlewindow.declarations.events import DeclarationReleased
from singlewindow.declarations.model import Declaration
from singlewindow.tariff import nomenclature
from singlewindow.tariff.services import TariffBooks

LABELS_RECHECK_SECONDS = 1.0  # labels another worker stored are seen within about this
MOST_NATIONAL_LINES = 12

# When a declared subheading is "very unlikely" (`Classifier.doubt`): not among the
# assistant's first DOUBT_RANKS, its chapter given less than DOUBT_CHAPTER_BELOW, and the
# first suggestion given at least DOUBT_FIRST_AT_LEAST (a description the assistant cannot
# place doubts nothing). On the 130 hand-written listings (tests/classification/listings.jsonl)
# the rule flags 1 true code in 130 (0 of the 90 tuning titles, 1 of the 40 held-out) and
# catches 83 % of codes of another chapter put on the same titles (docs/classification.md).
DOUBT_RANKS = 10
DOUBT_CHAPTER_BELOW = 0.01
DOUBT_FIRST_AT_LEAST = 0.2
DOUBT_BATCH = 64  # descriptions embedded together when doubting in bulk
MOST_WEIGHED = 10_000  # descriptions whose weighing is kept (about 2 kB each), newest used


_UNJUDGED = "?"  # not in the kept judgements (a judgement is a reason or None)


def _trimmed(description: str) -> str:
    """The description as ranked ('' when the assistant cannot rank it)."""
    try:
        return check_description(description)
    except DescriptionRefused:
        return ""


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
                 tariff: TariffBooks | None = None, ranker: Assistant | None = None,
                 most_labels: int = MOST_LABELS) -> None:
        self.database = database
        self.country = country
        self.tariff = tariff
        self._ranker = ranker
        self._labels = LearntLabels(most=most_labels)
        self._last_row = 0
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self._lines_of: tuple[tuple[int, date] | None, dict[str, tuple[NationalLine, ...]]] = (
            None, {})
        # Each description's weighing, for doubts: declarations and parcels repeat their
        # goods, and lodgement must not pay an embedding for each. Emptied when labels move.
        self._weighed: OrderedDict[str, Weighed] = OrderedDict()
        self._judged: dict[tuple[str, str], str | None] = {}  # (description, code): doubt

    @property
    def ranker(self) -> Assistant:
        return self._ranker or assistant()

    def warm_up(self) -> threading.Thread:
        """Load the assistant in the background (a second or two), so that the first
        lodgement a worker judges does not load it inside its transaction."""
        thread = threading.Thread(target=lambda: self.ranker.rank(["warm-up"], 1),
                                  name="classification-warm-up", daemon=True)
        thread.start()
        return thread

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

    def doubt(self, description: str, declared_code: str) -> str | None:
        """Why the declared code is very unlikely for the goods described (the reason names
        it, how unlikely, and the assistant's suggestion), or None when it is plausible or
        cannot be judged (no description, no subheading)."""
        return self.doubts([(description, declared_code)])[0]

    def doubts(self, pairs: Sequence[tuple[str, str]],
               session: Session | None = None) -> list[str | None]:
        """`doubt` for each (description, declared code), in bulk: each distinct description
        is weighed once, in batches, and kept for the next time it is declared."""
        labels = self._fresh_labels(session=session)
        found: list[str | None] = [None] * len(pairs)
        wanted: list[tuple[int, str, str]] = []
        with self._lock:  # the same goods declared under the same code: judged already
            judged = [self._judged.get(pair, _UNJUDGED) for pair in pairs]
        for n, ((description, code), known) in enumerate(zip(pairs, judged, strict=True)):
            if known is not _UNJUDGED:
                found[n] = known
                continue
            text, subheading = _trimmed(description), "".join(code.split(".")).strip()[:6]
            # A vague description ("samples", "spare parts") cannot be held to any code.
            if (text and not is_vague(text) and len(subheading) == 6 and subheading.isdigit()
                    and nomenclature.exists(subheading)):
                wanted.append((n, text, subheading))
            else:
                self._remember(pairs[n], None)
        if not wanted:
            return found
        weighed = self._weigh([text for _, text, _ in wanted], labels)
        for n, text, subheading in wanted:
            found[n] = self._doubt_of(subheading, weighed[text])
            self._remember(pairs[n], found[n])
        return found

    def _remember(self, pair: tuple[str, str], reason: str | None) -> None:
        with self._lock:
            self._judged[pair] = reason
            if len(self._judged) > MOST_WEIGHED:  # the oldest judgement goes first
                del self._judged[next(iter(self._judged))]

    def foresee(self, declarations: Sequence[Declaration]) -> None:
        """Weigh the goods of `declarations` before their lodgement's transaction (clearance
        calls it outside it), so that `concern` inside it only looks its judgements up."""
        self.doubts([(item.description, item.commodity_code)
                     for declaration in declarations for item in declaration.items
                     if item.description.strip()])

    def concern(self, session: Session, declaration: Declaration) -> list[str]:
        """The `Concern` of clearance: a reason for each goods item whose declared code the
        assistant finds very unlikely for its description."""
        items = [item for item in declaration.items if item.description.strip()]
        found = self.doubts([(i.description, i.commodity_code) for i in items], session)
        return [f"goods item {item.sequence}: {reason}"
                for item, reason in zip(items, found, strict=True) if reason is not None]

    def _weigh(self, texts: Sequence[str], labels: LearntLabels) -> dict[str, Weighed]:
        found: dict[str, Weighed] = {}
        missing: list[str] = []
        with self._lock:
            for text in texts:
                if text in found:
                    continue
                known = self._weighed.get(text)
                if known is None:
                    missing.append(text)
                else:
                    self._weighed.move_to_end(text)
                    found[text] = known
        missing = list(dict.fromkeys(missing))
        for start in range(0, len(missing), DOUBT_BATCH):
            batch = missing[start : start + DOUBT_BATCH]
            for text, weighed in zip(batch, self.ranker.weigh(batch, DOUBT_RANKS, labels),
                                     strict=True):
                found[text] = weighed
            with self._lock:
                for text in batch:
                    self._weighed[text] = found[text]
                while len(self._weighed) > MOST_WEIGHED:
                    self._weighed.popitem(last=False)
        return found

    def _doubt_of(self, subheading: str, weighed: Weighed) -> str | None:
        first = weighed.ranked[0]
        if (first.confidence < DOUBT_FIRST_AT_LEAST
                or any(r.code == subheading for r in weighed.ranked[:DOUBT_RANKS])):
            return None
        chapter = self.ranker.chapter_confidence(weighed, subheading[:2])
        if chapter >= DOUBT_CHAPTER_BELOW:
            return None
        share = f"{chapter:.2%}" if chapter >= 0.0001 else "under 0.01%"
        return (f"the classification assistant finds subheading {subheading} very unlikely "
                f"for the goods described (chapter {subheading[:2]}: {share}; not among "
                f"its {DOUBT_RANKS} first); it suggests {first.code} "
                f"{self.ranker.text(first.code)[:120]} ({first.confidence:.0%})")

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

    def _fresh_labels(self, force: bool = False,
                      session: Session | None = None) -> LearntLabels:
        """The labels, with those stored since the last look (in `session` when one is
        open: a lodgement's transaction asks no second connection)."""
        now = time.monotonic()
        if not force and now - self._checked_at < LABELS_RECHECK_SECONDS:
            return self._labels
        if session is not None:
            self._read_labels(session, now)
        else:
            with self.database.unit_of_work() as own:
                self._read_labels(own, now)
        return self._labels

    def _read_labels(self, session: Session, now: float) -> None:
        with self._lock:
            found = repository.since(session, self._last_row, self._labels.most)
            for row, label in found:
                self._labels.add(label)
                self._last_row = row
            if found:  # the labels move the rankings
                self._weighed.clear()
                self._judged.clear()
            self._checked_at = now

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
