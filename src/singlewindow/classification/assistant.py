"""The hybrid ranker of HS 2022 subheadings for a goods description, in memory, once per
process: BM25 (bm25s, PyStemmer's English stemmer) and the MiniLM sentence embedding, each
scored at subheading, heading and chapter level, a prior of how often each code is declared,
and the labels officers gave; fused and turned into confidences as `model` says.

What it reads is the package's: the nomenclature (`singlewindow.tariff.nomenclature`), the
embeddings of its entries (`data/embeddings.npy`, made by `build_embeddings`; recomputed into
the user's cache when the nomenclature or the model changes), the declared-code frequencies
(`data/declared-codes.csv`). Nothing is fetched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer

from singlewindow.classification.encoder import MODEL_VERSION, SentenceEncoder, Vectors
from singlewindow.classification.model import Weights, goods_and_purpose, normalised
from singlewindow.tariff import nomenclature

EMBEDDINGS = "embeddings.npy"
EMBEDDINGS_KEY = "embeddings.json"
TEXT_VERSION = "2"  # bump when `_entry_text` changes: the embeddings are of those texts
LABEL_NEIGHBOURS = 10
LABEL_LEAST_OVERLAP = 0.5

Scores = npt.NDArray[np.float64]

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in",
    "into", "is", "it", "its", "of", "on", "or", "other", "than", "that", "the", "their",
    "them", "these", "this", "those", "to", "with", "without", "whether", "not", "nes",
    "new",
})
# Words of product titles that say nothing of what the goods are.
_NOISE = frozenset({
    "pcs", "pc", "pack", "set", "lot", "piece", "pieces", "size", "sizes", "color",
    "colour", "free", "shipping", "sale", "hot", "best", "quality", "premium", "high",
    "brand", "style", "women", "men", "kids",
})


def _stemmer() -> Any:
    return Stemmer.Stemmer("english")


def words(text: str, stemmer: Any) -> list[str]:
    """The stemmed words BM25 indexes and asks: lower case, stop words and noise left out."""
    found = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and w not in _NOISE
             and not w.isdigit()]
    return list(stemmer.stemWords(found))


def _entry_text(code: str) -> str:
    """What the embedding of a chapter, heading or subheading is made of: its own text, with
    its heading's when it is a subheading (the UN texts of subheadings often say only
    'other')."""
    entry = nomenclature.get(code)
    if entry.level == 6 and entry.parent is not None:
        return f"{nomenclature.get(entry.parent).description}: {entry.description}"
    return entry.description


def _nomenclature_digest() -> str:
    data = resources.files("singlewindow.tariff") / "data" / "harmonized-system.csv"
    return hashlib.sha256(data.read_bytes()).hexdigest()


def embeddings_key() -> str:
    """Which nomenclature, model and texts the embeddings are of."""
    return f"{_nomenclature_digest()[:16]}/{MODEL_VERSION}/{TEXT_VERSION}"


def _codes() -> list[str]:
    """Every chapter, heading and subheading, in the order the embeddings are stored."""
    found: list[str] = []
    for chapter in sorted(nomenclature.search(limit=100_000), key=lambda e: e.code):
        found.append(chapter.code)
    return found


def build_embeddings(encoder: SentenceEncoder, codes: Sequence[str],
                     batch: int = 64) -> npt.NDArray[np.float16]:
    """The embeddings of `codes`' texts, as float16 unit vectors (4.3 MB for HS 2022)."""
    parts = []
    for start in range(0, len(codes), batch):
        parts.append(encoder.encode([_entry_text(c) for c in codes[start : start + batch]]))
    return np.concatenate(parts).astype(np.float16)


def _cache_dir() -> Path:
    root = os.environ.get("SINGLEWINDOW_CACHE") or os.environ.get("XDG_CACHE_HOME")
    base = Path(root) if root else Path.home() / ".cache"
    return base / "singlewindow" / "classification"


def _load_embeddings(encoder: SentenceEncoder, codes: list[str]) -> Vectors:
    """The packaged embeddings when they are of this nomenclature and model; otherwise the
    user's cached ones, computed once (a minute or two on a laptop) and kept."""
    data = resources.files("singlewindow.classification") / "data"
    key = embeddings_key()
    shipped = json.loads((data / EMBEDDINGS_KEY).read_text(encoding="utf-8"))
    if shipped.get("key") == key and shipped.get("codes") == len(codes):
        with (data / EMBEDDINGS).open("rb") as file:
            return np.load(io.BytesIO(file.read())).astype(np.float32)
    cached = _cache_dir() / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".npy")
    if cached.exists():
        loaded = np.load(cached)
        if loaded.shape[0] == len(codes):
            return loaded.astype(np.float32)
    vectors = build_embeddings(encoder, codes)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    with partial.open("wb") as file:
        np.save(file, vectors)
    partial.replace(cached)
    return vectors.astype(np.float32)


class Glossary:
    """The words of product titles and what the nomenclature calls the same goods
    (`data/glossary.csv`: "earbuds" are "headphones", a "laptop" a "portable automatic data
    processing machine"), added to a description before it is ranked. The longest term wins
    where terms overlap ("electric toothbrush" before "toothbrush")."""

    def __init__(self, terms: dict[str, str]) -> None:
        self._terms = terms
        alternatives = sorted(terms, key=len, reverse=True)
        self._pattern = re.compile(
            r"\b(" + "|".join(re.escape(t) for t in alternatives) + r")(?:e?s)?\b")

    @classmethod
    def packaged(cls) -> Glossary:
        data = resources.files("singlewindow.classification") / "data" / "glossary.csv"
        with io.StringIO(data.read_text(encoding="utf-8")) as file:
            return cls({row["term"]: row["nomenclature words"] for row in csv.DictReader(file)})

    def expand(self, text: str) -> str:
        found = [self._terms[m.group(1)] for m in self._pattern.finditer(text.lower())]
        return f"{text} ({'; '.join(dict.fromkeys(found))})" if found else text


def _declared_counts() -> Counter[str]:
    data = resources.files("singlewindow.classification") / "data" / "declared-codes.csv"
    counts: Counter[str] = Counter()
    with io.StringIO(data.read_text(encoding="utf-8")) as file:
        for row in csv.DictReader(file):
            counts[row["subheading"]] += int(row["declarations"])
    return counts


@dataclass(frozen=True)
class Label:
    """A description whose subheading an officer gave (or a cleared declaration bore)."""

    description: str
    code: str  # 6 digits
    confirmed: bool = True  # False: a cleared declaration's code, not an officer's word


# How many labels a node holds in memory: the newest of each description (a description's
# older labels say what its newer ones say, or what an officer since corrected) and the newest
# overall, so that years of releases cannot grow a worker without bound (about 1 kB each).
MOST_LABELS_PER_DESCRIPTION = 10
MOST_LABELS = 20_000


@dataclass
class LearntLabels:
    """The labels a node has learnt, indexed for the ranker: an exact match of the normalised
    description, and a BM25 over the labelled descriptions for near ones. Bounded: at most
    `most_per_description` of one description and `most` in all, the oldest let go first.
    An officer's label lets go the description's earlier labels of other codes: a correction
    ranks first for the description however often the other code was released before."""

    most: int = MOST_LABELS
    most_per_description: int = MOST_LABELS_PER_DESCRIPTION
    _order: OrderedDict[int, Label] = field(default_factory=OrderedDict)  # serial: label
    _of: dict[str, deque[int]] = field(default_factory=dict)  # normalised: its serials
    _serial: int = 0
    _exact: dict[str, Counter[str]] = field(default_factory=dict)
    _counts: Counter[str] = field(default_factory=Counter)
    _words: list[frozenset[str]] = field(default_factory=list)
    _index: Any = None
    _indexed: list[Label] = field(default_factory=list)
    _stale: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def labels(self) -> list[Label]:
        """The labels held, oldest first."""
        with self._lock:
            return list(self._order.values())

    def __len__(self) -> int:
        return len(self._order)

    def add(self, label: Label) -> None:
        with self._lock:
            self._serial += 1
            key = normalised(label.description)
            self._order[self._serial] = label
            serials = self._of.setdefault(key, deque())
            serials.append(self._serial)
            self._exact.setdefault(key, Counter())[label.code] += _weight(label)
            self._counts[label.code] += 1
            if label.confirmed:  # an officer's correction overrules what was said before
                for earlier in [n for n in serials if self._order[n].code != label.code]:
                    self._forget(earlier)
            if len(serials) > self.most_per_description:
                self._forget(serials[0])
            while len(self._order) > self.most:
                self._forget(next(iter(self._order)))
            self._stale = True

    def _forget(self, serial: int) -> None:
        """Let a label go (the oldest of its description, whichever way it is chosen)."""
        label = self._order.pop(serial)
        key = normalised(label.description)
        serials = self._of[key]
        serials.remove(serial)  # the description's oldest (at the left) or overruled
        votes = self._exact[key]
        votes[label.code] -= _weight(label)
        if votes[label.code] <= 0:
            del votes[label.code]
        if not serials:
            del self._of[key], self._exact[key]
        self._counts[label.code] -= 1
        if self._counts[label.code] <= 0:
            del self._counts[label.code]

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self._counts)

    def exact(self, description: str) -> Counter[str]:
        with self._lock:
            return Counter(self._exact.get(normalised(description), ()))

    def near(self, asked: list[str], stemmer: Any) -> dict[str, float]:
        """The codes of labelled descriptions sharing at least half their words with the
        description (Jaccard on stemmed words), each with its best overlap."""
        with self._lock:
            if self._stale:
                self._indexed = list(self._order.values())
                self._words = [frozenset(words(lab.description, stemmer))
                               for lab in self._indexed]
                documents = [sorted(w) or [""] for w in self._words]
                self._index = None
                if documents:
                    self._index = bm25s.BM25()
                    self._index.index(documents, show_progress=False)
                self._stale = False
            index, label_words, labels = self._index, self._words, self._indexed
        asked_set = frozenset(asked)
        if index is None or not asked_set:
            return {}
        ids = index.get_tokens_ids(list(asked_set))
        if not ids:
            return {}
        scores = index.get_scores_from_ids(ids)
        best: dict[str, float] = {}
        for i in np.argsort(-scores)[:LABEL_NEIGHBOURS]:
            if scores[i] <= 0:
                break
            overlap = len(asked_set & label_words[i]) / len(asked_set | label_words[i])
            if overlap >= LABEL_LEAST_OVERLAP:
                code = labels[i].code
                best[code] = max(best.get(code, 0.0), overlap)
        return best


@dataclass(frozen=True)
class Ranked:
    code: str
    confidence: float
    learnt: bool


@dataclass(frozen=True)
class Weighed:
    """A description weighed: its first subheadings, best first, and the confidence of each
    chapter (the sum of its subheadings', in `Assistant`'s order of chapters)."""

    ranked: list[Ranked]
    chapters: npt.NDArray[np.float32]


def _weight(label: Label) -> int:
    return 5 if label.confirmed else 1  # an officer's word outweighs a release


def softmax_of(scores: Scores, temperature: float) -> Scores:
    """`model.softmax`, over a numpy vector (5,612 subheadings in well under a millisecond)."""
    exps = np.exp((scores - scores.max()) / temperature)
    result: Scores = exps / exps.sum()
    return result


class _Bm25Level:
    """A BM25 index of documents, its scores spread onto the subheadings under each."""

    def __init__(self, documents: list[list[str]], owner: npt.NDArray[np.intp]) -> None:
        self.index = bm25s.BM25()
        self.index.index([d or [""] for d in documents], show_progress=False)
        self.owner = owner  # per subheading, the row of its document

    def scores(self, asked: list[str]) -> Scores:
        ids = self.index.get_tokens_ids(asked)
        if not ids:
            return np.zeros(len(self.owner))
        raw = np.asarray(self.index.get_scores_from_ids(ids), dtype=np.float64)
        best = raw.max()
        return raw[self.owner] / best if best > 0 else np.zeros(len(self.owner))


class Assistant:
    """The ranker: built once per process (`assistant()`), then read by every thread."""

    def __init__(self, weights: Weights | None = None, threads: int = 1) -> None:
        self.weights = weights or Weights()
        self._local = threading.local()  # a PyStemmer object is not shared across threads
        self.encoder = SentenceEncoder(threads)
        codes = _codes()
        vectors = _load_embeddings(self.encoder, codes)
        row = {code: i for i, code in enumerate(codes)}
        self.subheadings = [c for c in codes if len(c) == 6]
        headings = [c for c in codes if len(c) == 4]
        chapters = [c for c in codes if len(c) == 2]
        heading_row = {c: i for i, c in enumerate(headings)}
        chapter_row = {c: i for i, c in enumerate(chapters)}
        self._position = {c: i for i, c in enumerate(self.subheadings)}
        self._chapter_row = chapter_row
        parent = [nomenclature.get(c).parent or c[:4] for c in self.subheadings]
        self._heading_of = np.array([heading_row[p] for p in parent], dtype=np.intp)
        self._chapter_of = np.array([chapter_row[c[:2]] for c in self.subheadings],
                                    dtype=np.intp)
        self._vectors = vectors[[row[c] for c in self.subheadings]]
        self._heading_vectors = vectors[[row[c] for c in headings]]
        self._chapter_vectors = vectors[[row[c] for c in chapters]]
        text = {c: nomenclature.get(c).description for c in codes}
        stemmed = {c: words(t, self.stemmer) for c, t in text.items()}
        below: dict[str, list[str]] = {}
        for code in self.subheadings:
            below.setdefault(parent[self._position[code]], []).append(code)
        # Each subheading's document is enriched with its heading's and chapter's words; the
        # heading's holds its own and its subheadings'; the chapter's, its own and headings'.
        self._bm25 = (
            _Bm25Level([stemmed[c] + stemmed[p] + stemmed[c[:2]]
                        for c, p in zip(self.subheadings, parent, strict=True)],
                       np.arange(len(self.subheadings), dtype=np.intp)),
            _Bm25Level([stemmed[h] + [w for s in below.get(h, []) for w in stemmed[s]]
                        for h in headings], self._heading_of),
            _Bm25Level([stemmed[c] + [w for h in headings if h[:2] == c for w in stemmed[h]]
                        for c in chapters], self._chapter_of),
        )
        self._declared = _declared_counts()
        self._declared_prior = self._prior_of(self._declared)
        self.glossary = Glossary.packaged()

    def text(self, code: str) -> str:
        """The subheading's description (the UN texts say their heading's goods too)."""
        return nomenclature.get(code).description

    def _prior(self, labels: LearntLabels | None) -> Scores:
        """log(1 + declarations) per subheading, scaled to 0..1: CIDD's and the labels'."""
        if labels is None or not len(labels):
            return self._declared_prior
        return self._prior_of(self._declared + labels.counts())

    def _prior_of(self, counts: Counter[str]) -> Scores:
        values = np.log1p(np.array([counts.get(c, 0) for c in self.subheadings], dtype=float))
        best = values.max()
        result: Scores = values / best if best > 0 else values
        return result

    @property
    def stemmer(self) -> Any:
        """This thread's English stemmer."""
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = self._local.stemmer = _stemmer()
        return stemmer

    def rank(self, texts: Sequence[str], top: int = 5,
             labels: LearntLabels | None = None) -> list[list[Ranked]]:
        """The `top` subheadings for each description (already checked), best first."""
        return [weighed.ranked for weighed in self.weigh(texts, top, labels)]

    def weigh(self, texts: Sequence[str], top: int = 5,
              labels: LearntLabels | None = None) -> list[Weighed]:
        """For each description (already checked): its `top` subheadings, best first, and
        the confidence of every chapter (what a doubt about a declared code is judged on)."""
        if not texts:
            return []
        # What the goods are counts; what they are for ("… for iPhone") counts less.
        goods = [goods_and_purpose(t)[0] for t in texts]
        expanded = [self.glossary.expand(t) for t in texts]
        queries = self.encoder.encode([self.glossary.expand(g) for g in goods])
        prior = self._prior(labels)
        # Cosine similarities below 0.1 say nothing; above, they count from there.
        similar = [np.clip(queries @ vectors.T - 0.1, 0, None) for vectors in
                   (self._vectors, self._heading_vectors, self._chapter_vectors)]
        return [self._weigh_one(t, e, [similar[0][n], similar[1][n][self._heading_of],
                                       similar[2][n][self._chapter_of]], prior, top, labels)
                for n, (t, e) in enumerate(zip(texts, expanded, strict=True))]

    def chapter_confidence(self, weighed: Weighed, chapter: str) -> float:
        """How likely the assistant finds it that the goods are of `chapter` (2 digits)."""
        row = self._chapter_row.get(chapter)
        return float(weighed.chapters[row]) if row is not None else 0.0

    def _weigh_one(self, text: str, expanded: str, semantic: list[Vectors], prior: Scores,
                   top: int, labels: LearntLabels | None) -> Weighed:
        weights = self.weights
        goods, purpose = goods_and_purpose(expanded)
        asked = words(goods, self.stemmer) * 2 + words(purpose, self.stemmer)
        lexical = [level.scores(asked) for level in self._bm25]
        fused = (weights.bm25_subheading * lexical[0] + weights.bm25_heading * lexical[1]
                 + weights.bm25_chapter * lexical[2]
                 + weights.embedding_subheading * semantic[0]
                 + weights.embedding_heading * semantic[1]
                 + weights.embedding_chapter * semantic[2] + weights.prior * prior)
        learnt: set[str] = set()
        if labels is not None:
            exact = labels.exact(text)
            votes = sum(exact.values())
            for code, count in exact.items():
                if code in self._position:
                    fused[self._position[code]] += weights.label_exact * count / votes
                    learnt.add(code)
            for code, overlap in labels.near(words(text, self.stemmer), self.stemmer).items():
                if code in self._position:
                    fused[self._position[code]] += weights.label_similar * overlap
                    learnt.add(code)
        best = np.argpartition(-fused, top)[:top]
        best = best[np.argsort(-fused[best])]
        confidences = softmax_of(fused, weights.temperature)  # over every subheading
        chapters = np.bincount(self._chapter_of, weights=confidences,
                               minlength=len(self._chapter_row)).astype(np.float32)
        return Weighed([Ranked(self.subheadings[i], float(confidences[i]),
                               self.subheadings[i] in learnt) for i in best], chapters)


_ASSISTANT: Assistant | None = None
_LOADING = threading.Lock()


def assistant() -> Assistant:
    """This process's assistant, built on first use (a few seconds), once, whichever thread
    asks first."""
    global _ASSISTANT
    if _ASSISTANT is None:
        with _LOADING:
            if _ASSISTANT is None:
                _ASSISTANT = Assistant()
    return _ASSISTANT


def ship_embeddings(target: Path | None = None) -> Path:
    """Write the packaged embeddings and their key (run when the nomenclature or the model
    changes: `python -m singlewindow.classification.assistant`)."""
    data = target or Path(__file__).parent / "data"
    codes = _codes()
    vectors = build_embeddings(SentenceEncoder(threads=os.cpu_count() or 1), codes)
    with (data / EMBEDDINGS).open("wb") as file:
        np.save(file, vectors)
    (data / EMBEDDINGS_KEY).write_text(
        json.dumps({"key": embeddings_key(), "codes": len(codes), "dtype": "float16",
                    "model": MODEL_VERSION}, indent=2) + "\n", encoding="utf-8")
    return data / EMBEDDINGS


if __name__ == "__main__":  # pragma: no cover
    print(ship_embeddings())
