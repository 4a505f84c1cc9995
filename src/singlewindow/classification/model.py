"""The rules of the classification assistant, with no I/O: what a goods description must be
to be ranked, what a suggestion is, and how the ranker's signals are fused into confidences.

The fusion, per HS 2022 subheading s of a description d:

    fused(s) = Σ_k  weight_k · signal_k(s)

where each signal is scaled to 0..1 for the description (a BM25 score divided by the best
score of its index for d; a cosine similarity taken as it is, its floor removed), at the
subheading's own level and at its heading's and chapter's, plus the declared-code prior
(log-frequency, scaled to 0..1) and the officers' labels (an exact match of the normalised
description, and a BM25 over the labelled descriptions). The confidences are a softmax of
`fused / temperature` over every subheading, so the five shown sum to at most 1.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from singlewindow.classification.errors import DescriptionRefused, InvalidLabel
from singlewindow.core.errors import Problem

LEAST_CHARACTERS = 1
MOST_CHARACTERS = 1000
MOST_SUGGESTIONS = 20
SUBHEADING = re.compile(r"^\d{6}$")


def check_description(text: str, path: str = "text") -> str:
    """The description trimmed, or DescriptionRefused saying why it cannot be ranked."""
    if not isinstance(text, str):
        raise DescriptionRefused([Problem(path, "the goods description must be text")])
    trimmed = " ".join(text.split())
    if len(trimmed) < LEAST_CHARACTERS:
        raise DescriptionRefused([Problem(
            path, "the goods description is empty: write what the goods are (e.g. a product "
                  "title), and the assistant suggests their tariff code")])
    if len(trimmed) > MOST_CHARACTERS:
        raise DescriptionRefused([Problem(
            path, f"the goods description has {len(trimmed)} characters; at most "
                  f"{MOST_CHARACTERS} are ranked: keep the title and its main attributes")])
    return trimmed


def check_top(top: int) -> int:
    if not 1 <= top <= MOST_SUGGESTIONS:
        raise DescriptionRefused([Problem(
            "top", f"ask for 1 to {MOST_SUGGESTIONS} suggestions, not {top}")])
    return top


def subheading_of(code: str, path: str = "code") -> str:
    """The 6-digit HS subheading of a code (6 or more digits, dots allowed)."""
    digits = code.replace(".", "").strip()
    if not digits.isdigit() or len(digits) < 6:
        raise InvalidLabel([Problem(path, f"{code!r} is not an HS subheading (6 digits or a "
                                          "national line of 8)")])
    return digits[:6]


# Words that say goods exist without saying what they are, from the descriptions customs
# administrations refuse as too vague ("general cargo", "FAK", "samples", "parts", "gifts",
# "see invoice"): a description made of them alone cannot be held to any code.
_VAGUE = frozenset({
    "accessories", "accessory", "all", "and", "article", "articles", "as", "assorted",
    "cargo", "commodities", "commodity", "consolidated", "contain", "contains", "documents",
    "effects", "equipment", "fak", "for", "freight", "general", "gift", "gifts", "goods",
    "invoice", "item", "items", "kinds", "material", "materials", "merchandise", "misc",
    "miscellaneous", "mixed", "of", "other", "package", "packages", "pallets", "part",
    "parts", "pcs", "per", "personal", "pieces", "pkgs", "product", "products", "said",
    "sample", "samples", "see", "spare", "stc", "stuff", "supplies", "the", "to", "units",
    "various", "cartons", "ctns",
})
_LETTERS = re.compile(r"[^\W\d_]+")


def is_vague(text: str) -> bool:
    """Whether a description says nothing of what the goods are ("Assorted items, see
    invoice", "spare parts", "samples"): no word beyond the vague ones."""
    return all(w in _VAGUE or len(w) < 3 for w in _LETTERS.findall(text.lower()))


_PURPOSE = re.compile(r"\s(?:for|compatible with|suitable for|fits|fit for)\s", re.IGNORECASE)


def goods_and_purpose(text: str) -> tuple[str, str]:
    """A title split where it says what the goods are for: in "screen protector for iPhone"
    the goods are the protector, not the phone ('' when it does not say)."""
    found = _PURPOSE.search(text)
    if found is None or not text[: found.start()].strip():
        return text, ""
    return text[: found.start()], text[found.end():]


def normalised(text: str) -> str:
    """The description as labels are matched exactly: case, accents, punctuation and the
    order of words set aside."""
    folded = unicodedata.normalize("NFKD", text.lower())
    letters = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(sorted(set(letters.split())))


@dataclass(frozen=True)
class NationalLine:
    """An 8-digit line of the node's schedule under a suggested subheading."""

    code: str
    description: str


@dataclass(frozen=True)
class Suggestion:
    """One HS 2022 subheading suggested for a description, with the assistant's confidence
    (0..1; the suggestions of one description sum to at most 1)."""

    code: str  # 6 digits
    confidence: float
    text: str  # the subheading's description
    national_lines: tuple[NationalLine, ...] = ()
    learnt: bool = False  # an officer's label for the same description supports it


@dataclass(frozen=True)
class Weights:
    """How much each signal counts in the fused score (tuned on the hand-written listings,
    `tests/classification/listings.jsonl`)."""

    bm25_subheading: float = 1.0
    bm25_heading: float = 0.6
    bm25_chapter: float = 0.3
    embedding_subheading: float = 2.4
    embedding_heading: float = 1.4
    embedding_chapter: float = 0.8
    prior: float = 0.25
    label_exact: float = 30.0
    label_similar: float = 5.0
    # Set so that the first suggestion's mean confidence is near how often it is right on
    # the held-out listings (0.36 said for 0.38 right; the five: 0.77 said for 0.70).
    temperature: float = 0.2
    signals: tuple[str, ...] = field(default=(
        "bm25_subheading", "bm25_heading", "bm25_chapter", "embedding_subheading",
        "embedding_heading", "embedding_chapter", "prior", "label_exact", "label_similar"))

    def of(self, signal: str) -> float:
        return float(getattr(self, signal))


def softmax(scores: Sequence[float], temperature: float) -> list[float]:
    """Confidences from fused scores: positive, in order, summing to 1 over `scores`."""
    best = max(scores)
    exps = [math.exp((s - best) / temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]
