"""Identifiers: surrogate ids for rows, and customs reference numbers with a check character."""

from __future__ import annotations

import string
import uuid


def new_id() -> str:
    """A surrogate id, kept apart from business references (LRN, declaration number)."""
    return uuid.uuid4().hex


# Values of the characters in the check-character algorithm of ISO 6346, which the EU NCTS
# uses for the MRN: digits are themselves, letters run from 10 skipping multiples of 11.
def _letter_values() -> dict[str, int]:
    values: dict[str, int] = {d: int(d) for d in string.digits}
    value = 10
    for letter in string.ascii_uppercase:
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    return values


_VALUES = _letter_values()


def check_character(reference: str) -> str:
    """The check character of an alphanumeric reference (ISO 6346 / NCTS MRN rule)."""
    total = 0
    for position, char in enumerate(reference.upper()):
        if char not in _VALUES:
            raise ValueError(f"character {char!r} is not allowed in a customs reference")
        total += _VALUES[char] * (2**position)
    return str(total % 11 % 10)


def with_check_character(reference: str) -> str:
    return reference + check_character(reference)


def is_valid_reference(reference: str) -> bool:
    """True when the last character is the check character of the rest."""
    if len(reference) < 2:
        return False
    try:
        return check_character(reference[:-1]) == reference[-1]
    except ValueError:
        return False
