"""The HS 2022 goods nomenclature shipped with the package: sections, chapters (2 digits),
headings (4) and subheadings (6), looked up by code and searched by words or code prefix.

Read from `data/harmonized-system.csv` once, on first use, and kept in memory (about 7,000
entries); see `data/LICENSE.md` for the source and licence.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from singlewindow.tariff.errors import UnknownCode
from singlewindow.tariff.model import (  # the words and codes people write, shared with books
    is_code_query,
    matches_all,
    normalize_code,
    query_words,
    search_terms,
    words_of,
)

__all__ = [
    "GoodsNomenclature",
    "Section",
    "children",
    "exists",
    "get",
    "is_code_query",
    "matches_all",
    "normalize_code",
    "path",
    "query_words",
    "search",
    "section",
    "words_of",
]



@dataclass(frozen=True)
class GoodsNomenclature:
    """One entry of the nomenclature: a chapter, heading or subheading."""

    code: str  # digits only: "09", "0901", "090111"
    description: str
    level: int  # 2, 4 or 6 digits
    section: str  # Roman numeral, e.g. "II"
    parent: str | None  # code of the heading or chapter above; None for a chapter

    @property
    def dotted_code(self) -> str:
        return self.code if self.level < 6 else f"{self.code[:4]}.{self.code[4:]}"


@dataclass(frozen=True)
class Section:
    numeral: str
    name: str


@dataclass(frozen=True)
class _Nomenclature:
    entries: dict[str, GoodsNomenclature]
    sections: dict[str, Section]
    children: dict[str, tuple[str, ...]]
    words: dict[str, tuple[str, ...]]  # code → the words of its description, in order
    lowered: dict[str, str]  # code → its description in lower case


@cache
def _load() -> _Nomenclature:
    data = resources.files("singlewindow.tariff") / "data"
    sections: dict[str, Section] = {}
    with io.TextIOWrapper(
        (data / "hs-sections.csv").open("rb"), encoding="utf-8-sig", newline=""
    ) as file:
        for row in csv.DictReader(file):
            sections[row["section"]] = Section(row["section"], row["name"])
    entries: dict[str, GoodsNomenclature] = {}
    children: dict[str, list[str]] = {}
    with io.TextIOWrapper(
        (data / "harmonized-system.csv").open("rb"), encoding="utf-8-sig", newline=""
    ) as file:
        for row in csv.DictReader(file):
            level = int(row["level"])
            if level not in (2, 4, 6) or row["section"] == "TOTAL":
                continue  # the grand total, and chapter 99 (a UN Comtrade code, not HS)
            parent = None if level == 2 else row["parent"]
            entries[row["hscode"]] = GoodsNomenclature(
                row["hscode"], row["description"], level, row["section"], parent
            )
            if parent is not None:
                children.setdefault(parent, []).append(row["hscode"])
    return _Nomenclature(
        entries,
        sections,
        {code: tuple(kids) for code, kids in children.items()},
        {code: tuple(words_of(e.description)) for code, e in entries.items()},
        {code: e.description.lower() for code, e in entries.items()},
    )


def get(code: str) -> GoodsNomenclature:
    """The chapter, heading or subheading with this code; `UnknownCode` if there is none."""
    entry = _load().entries.get(normalize_code(code))
    if entry is None:
        raise UnknownCode(f"{code!r} is not a chapter, heading or subheading of HS 2022")
    return entry


def exists(code: str) -> bool:
    """Whether the code (e.g. a 6-digit subheading) is in the HS 2022 nomenclature."""
    return normalize_code(code) in _load().entries


def section(numeral: str) -> Section:
    return _load().sections[numeral]


def path(code: str) -> list[GoodsNomenclature]:
    """Chapter, heading, subheading down to `code`, for display: where a code sits."""
    entries = _load().entries
    found: list[GoodsNomenclature] = []
    current: str | None = normalize_code(code)[:6]
    while current is not None and current in entries:
        found.append(entries[current])
        current = entries[current].parent
    return list(reversed(found))


def children(code: str) -> list[GoodsNomenclature]:
    entries = _load().entries
    return [entries[c] for c in _load().children.get(normalize_code(code), ())]


def search(query: str = "", *, prefix: str = "", limit: int = 50) -> list[GoodsNomenclature]:
    """Entries whose description contains every word of `query` (each word as the start of a
    word: `roast` finds `roasted`) and whose code starts with `prefix`.

    A query of digits alone (`0901.1`) is taken as a code prefix. Best matches first: more
    whole-word matches, then matches near the start of the description, then broader
    entries (chapter before heading before subheading), then code order.
    """
    nomenclature = _load()
    asked = search_terms(query, prefix)
    if asked is None:
        return []
    code_prefix, wanted = asked
    ranked: list[tuple[tuple[int, int, int, str], GoodsNomenclature]] = []
    for code, entry in nomenclature.entries.items():
        if code_prefix and not code.startswith(code_prefix):
            continue
        if wanted:
            # A substring test first: most entries fail it, and it is much cheaper.
            if not all(w in nomenclature.lowered[code] for w in wanted):
                continue
            rank = matches_all(wanted, nomenclature.words[code])
            if rank is None:
                continue
        else:
            rank = (0, 0)
        ranked.append(((*rank, entry.level, code), entry))
    ranked.sort(key=lambda pair: pair[0])
    return [entry for _, entry in ranked[:limit]]
