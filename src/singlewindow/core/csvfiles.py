"""Reading the CSV files customs loads (tariff schedules, exchange-rate tables): the text
from a file, a string or a stream, with comment lines kept as blank lines so that a
problem's path can name the line of the file."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from singlewindow.core.errors import Invalid, Problem


def read_source(
    source: str | Path | TextIO, invalid: Callable[[list[Problem]], Invalid]
) -> str:
    """A `str` is the CSV text itself; a `Path` is a file to read; else a text stream.
    `invalid` makes the room's error for a file that is not UTF-8."""
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise invalid([Problem("file", "the file is not UTF-8 text")]) from None
    elif isinstance(source, str):
        text = source
    else:
        text = source.read()
    return text.removeprefix("\ufeff")


def without_comments(text: str) -> Iterator[str]:
    """The lines of `text`, comment lines (`#`) made empty (csv skips them) so that row
    numbers stay line numbers."""
    for line in io.StringIO(text, newline=None):
        yield "\n" if line.lstrip().startswith("#") else line
