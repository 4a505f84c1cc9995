"""One country's tariff in memory: the lines of its schedule and the measures on them.

Lodgement asks it thousands of times a second (which line, which measures), so a node holds
a whole country's tariff in memory (`tariff.services.TariffBooks` reloads it when its
revision moves) and every question is a dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date

from singlewindow.tariff.measure_set import MeasureSet, schedule_measures
from singlewindow.tariff.model import TariffLine, matches_all, search_terms, words_of


class TariffBook:
    """One country's tariff in memory: its schedule's lines and every measure that applies.

    `line()` is a dict lookup and a scan of the few dated versions of one code; `measures`
    answers what applies to a goods item (`MeasureSet.duties_for`). Without `measures` the
    book holds its schedule's columns as measures only.
    """

    def __init__(
        self,
        country: str,
        revision: int,
        lines: Iterable[TariffLine],
        describe: Callable[[str], str] = lambda subheading: "",
        measures: MeasureSet | None = None,
    ) -> None:
        """`describe` gives an HS subheading's description (searched with the lines' own)."""
        lines = tuple(lines)
        self.country = country
        self.measures = measures if measures is not None else schedule_measures(lines)
        self._describe = describe
        self.revision = revision
        by_code: dict[str, list[TariffLine]] = {}
        for line in lines:
            by_code.setdefault(line.code, []).append(line)
        self._by_code: dict[str, tuple[TariffLine, ...]] = {
            code: tuple(sorted(versions, key=lambda line: line.valid_from, reverse=True))
            for code, versions in sorted(by_code.items())
        }
        self._words: dict[tuple[str, date], tuple[str, ...]] = {}

    def __len__(self) -> int:
        return sum(len(versions) for versions in self._by_code.values())

    def line(self, code: str, on: date) -> TariffLine | None:
        """The line of `code` (8 digits, no dots) in force on `on`, or None."""
        for line in self._by_code.get(code, ()):
            if line.in_force(on):
                return line
        return None

    def versions(self, code: str) -> tuple[TariffLine, ...]:
        """Every dated version of a code, latest first."""
        return self._by_code.get(code, ())

    def lines(self, on: date | None = None) -> Iterator[TariffLine]:
        """Every line in code order; only those in force on `on` when given."""
        for versions in self._by_code.values():
            for line in reversed(versions):
                if on is None or line.in_force(on):
                    yield line

    def chapters(self) -> set[str]:
        return {code[:2] for code in self._by_code}

    def search(
        self, query: str = "", *, prefix: str = "", on: date | None = None
    ) -> list[TariffLine]:
        """Lines whose description (or their HS subheading's) has every word of `query`,
        and whose code starts with `prefix`; a query of digits is a code prefix. Best
        matches first, then code order."""
        asked = search_terms(query, prefix)
        if asked is None:
            return []
        code_prefix, wanted = asked
        ranked: list[tuple[tuple[int, int], int, TariffLine]] = []
        for position, line in enumerate(self.lines(on)):
            if code_prefix and not line.code.startswith(code_prefix):
                continue
            rank = (0, 0)
            if wanted:
                found = matches_all(wanted, self._words_of(line))
                if found is None:
                    continue
                rank = found
            ranked.append((rank, position, line))
        ranked.sort(key=lambda entry: (entry[0], entry[1]))
        return [line for _, _, line in ranked]

    def search_page(
        self,
        query: str = "",
        *,
        prefix: str = "",
        on: date | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[TariffLine], int]:
        """One page of `search()` (best matches first) and how many lines match in all."""
        found = self.search(query, prefix=prefix, on=on)
        return found[offset : offset + limit], len(found)

    def _words_of(self, line: TariffLine) -> tuple[str, ...]:
        key = (line.code, line.valid_from)
        words = self._words.get(key)
        if words is None:
            subheading = self._describe(line.subheading)
            words = tuple(words_of(f"{line.description} {subheading}"))
            self._words[key] = words
        return words
