"""Two versions of a declaration compared: the header fields and goods items that changed,
old value → new value, and nothing where nothing changed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from singlewindow.declarations.comparison import Change, ItemChange, compare
from singlewindow.declarations.model import Party, SupportingDocument
from singlewindow.declarations.repository import to_document
from tests.builders import COFFEE, SMARTPHONES, import_declaration


def test_the_same_declaration_has_no_change() -> None:
    declaration = import_declaration()
    comparison = compare(declaration, declaration)
    assert not comparison.changed and comparison.header == () and comparison.items == ()


def test_a_header_field_changed_is_old_and_new_value() -> None:
    before = import_declaration()
    after = replace(before, incoterm="CIF", freight=Decimal("900.00"))
    comparison = compare(before, after)
    assert comparison.header == (Change("incoterm", "FCA", "CIF"),
                                 Change("freight", "850.00", "900.00"))
    assert comparison.items == ()


def test_a_party_and_the_documents_are_compared_by_their_parts() -> None:
    before = import_declaration()
    after = replace(before, seller=Party("KHEXP0042", "Mondulkiri Coffee Co.", "KH"),
                    documents=(SupportingDocument("N380", "INV-2"),))
    changes = {c.field: (c.old, c.new) for c in compare(before, after).header}
    assert changes == {"seller.name": ("Mondulkiri Coffee Co., Ltd.", "Mondulkiri Coffee Co."),
                       "documents": ("N380 INV-1", "N380 INV-2")}


def test_an_items_changed_fields_are_listed_under_its_position() -> None:
    before = import_declaration()
    after = replace(before, items=(replace(COFFEE, quantity=Decimal("9600"),
                                           description="Roasted coffee"),))
    [item] = compare(before, after).items
    assert item.sequence == 1 and item.kind is ItemChange.CHANGED
    assert item.changes == (Change("description", COFFEE.description, "Roasted coffee"),
                            Change("quantity", "19200", "9600"))


def test_an_item_added_or_removed_says_so_with_its_values() -> None:
    one = import_declaration()
    two = replace(one, items=(COFFEE, SMARTPHONES))
    [added] = compare(one, two).items
    assert added.sequence == 2 and added.kind is ItemChange.ADDED
    assert Change("commodity_code", None, "85171300") in added.changes
    [removed] = compare(two, one).items
    assert removed.kind is ItemChange.REMOVED
    assert Change("commodity_code", "85171300", None) in removed.changes


def test_stored_documents_compare_as_declarations_do() -> None:
    before = import_declaration()
    after = replace(before, insurance=Decimal("130.00"))
    assert compare(to_document(before), to_document(after)) == compare(before, after)
