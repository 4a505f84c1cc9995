"""The HS 2022 nomenclature shipped with the package."""

from __future__ import annotations

import pytest

from singlewindow.tariff import nomenclature
from singlewindow.tariff.errors import UnknownCode


def test_lookup_by_code_at_each_level() -> None:
    assert nomenclature.get("09").level == 2
    assert nomenclature.get("0901").description.startswith("Coffee")
    subheading = nomenclature.get("0901.11")
    assert (subheading.code, subheading.level, subheading.parent) == ("090111", 6, "0901")
    assert subheading.dotted_code == "0901.11"
    assert nomenclature.section(subheading.section).name == "Vegetable products"


def test_an_unknown_code_is_not_found() -> None:
    with pytest.raises(UnknownCode):
        nomenclature.get("999999")


def test_exists() -> None:
    assert nomenclature.exists("851713")
    assert nomenclature.exists("8517.13")
    assert not nomenclature.exists("851719")


def test_the_path_from_chapter_to_subheading() -> None:
    assert [e.code for e in nomenclature.path("85171300")] == ["85", "8517", "851713"]
    assert [e.code for e in nomenclature.children("0901")][:2] == ["090111", "090112"]


def test_search_by_words_needs_every_word() -> None:
    results = nomenclature.search("coffee roasted")
    assert results
    for entry in results:
        text = entry.description.lower()
        assert "coffee" in text and "roast" in text


def test_search_matches_word_starts_case_insensitively() -> None:
    codes = [e.code for e in nomenclature.search("SMARTPHONE")]
    assert codes[0] == "851713"
    assert "8517" in codes


def test_search_ranks_whole_words_and_early_matches_first() -> None:
    assert nomenclature.search("rice", limit=1)[0].code == "1006"
    assert nomenclature.search("coffee", limit=1)[0].code == "09"


def test_search_by_code_prefix() -> None:
    assert [e.code for e in nomenclature.search("0901.1")] == ["090111", "090112"]
    assert [e.code for e in nomenclature.search(prefix="090")] == [
        e.code for e in nomenclature.search("090")
    ]
    by_words_in_chapter = nomenclature.search("wood", prefix="44")
    assert by_words_in_chapter
    assert all(e.code.startswith("44") for e in by_words_in_chapter)


def test_search_honours_the_limit_and_finds_nothing_quietly() -> None:
    assert len(nomenclature.search("of", limit=7)) == 7
    assert nomenclature.search("zzzqqq") == []
