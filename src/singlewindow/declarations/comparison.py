"""Two versions of a declaration compared: which header fields and which goods items' fields
changed, old value → new value. Plain data in, plain data out (the versions page shows it)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from singlewindow.declarations.model import Declaration
from singlewindow.declarations.repository import to_document


@dataclass(frozen=True)
class Change:
    """One field whose value changed; `None` where the field had or has no value."""

    field: str  # the API's name: "incoterm", "declarant.name", "preference.agreement"
    old: str | None
    new: str | None


class ItemChange(StrEnum):
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class ItemChanges:
    """A goods item that changed, by its position (1 = the first item)."""

    sequence: int
    kind: ItemChange
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Comparison:
    header: tuple[Change, ...]
    items: tuple[ItemChanges, ...]

    @property
    def changed(self) -> bool:
        return bool(self.header or self.items)


def _text(value: Any) -> str | None:
    """A value as the page shows it; an empty or absent one is `None`."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, list):
        return "; ".join(" ".join(str(v) for v in x.values()) if isinstance(x, dict) else str(x)
                         for x in value)
    return str(value)


def _flat(document: dict[str, Any], prefix: str = "") -> dict[str, str | None]:
    """Nested parts (parties, a preference) as dotted names; lists (documents) as one text."""
    flat: dict[str, str | None] = {}
    for name, value in document.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{name}.")
        else:
            flat[prefix + name] = _text(value)
    return flat


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[Change, ...]:
    old, new = _flat(before), _flat(after)
    names = list(old) + [n for n in new if n not in old]  # the document's order
    return tuple(Change(n, old.get(n), new.get(n)) for n in names if old.get(n) != new.get(n))


def _document(declaration: Declaration | dict[str, Any]) -> dict[str, Any]:
    return to_document(declaration) if isinstance(declaration, Declaration) else declaration


def compare(before: Declaration | dict[str, Any], after: Declaration | dict[str, Any]
            ) -> Comparison:
    """What changed from `before` to `after` (declarations, or their stored documents).
    Items are paired by position: an amendment edits the list in place, adding at the end."""
    old, new = _document(before), _document(after)
    header = _changes({k: v for k, v in old.items() if k != "items"},
                      {k: v for k, v in new.items() if k != "items"})
    old_items: list[dict[str, Any]] = list(old.get("items") or [])
    new_items: list[dict[str, Any]] = list(new.get("items") or [])
    items: list[ItemChanges] = []
    for n in range(max(len(old_items), len(new_items))):
        was = old_items[n] if n < len(old_items) else None
        now = new_items[n] if n < len(new_items) else None
        # The sequence is the item's position: it says nothing a reader needs to see.
        was_fields = {k: v for k, v in (was or {}).items() if k != "sequence"}
        now_fields = {k: v for k, v in (now or {}).items() if k != "sequence"}
        changes = _changes(was_fields, now_fields)
        if was is None:
            items.append(ItemChanges(n + 1, ItemChange.ADDED, changes))
        elif now is None:
            items.append(ItemChanges(n + 1, ItemChange.REMOVED, changes))
        elif changes:
            items.append(ItemChanges(n + 1, ItemChange.CHANGED, changes))
    return Comparison(header, tuple(items))
