"""The hand-written WordPiece tokenizer gives the ids the model was trained with: golden ids
from Hugging Face's `tokenizers` (BertWordPieceTokenizer on the same vocabulary, lower-cased,
accents stripped, Chinese characters split), computed once; `tokenizers` is not a dependency."""

from __future__ import annotations

import pytest

from singlewindow.classification.encoder import MOST_TOKENS, token_ids

GOLDEN = {
    'Wireless Bluetooth Earbuds with Charging Case': [
        101, 9949, 2630, 19392, 4540, 8569, 5104, 2007, 13003, 2553, 102],
    "Men's cotton crew-neck T-shirt (XL)": [
        101, 2273, 1005, 1055, 6557, 3626, 1011, 3300, 1056, 1011, 3797, 1006, 28712,
        1007, 102],
    'Café crème 250g — Arabica': [
        101, 7668, 13675, 21382, 5539, 2290, 1517, 5640, 2050, 102],
    'iPhone 15 Pro Max screen protector, tempered glass 9H': [
        101, 18059, 2321, 4013, 4098, 3898, 16167, 1010, 22148, 3221, 1023, 2232, 102],
    '手机壳 phone case': [
        101, 1858, 100, 100, 3042, 2553, 102],
    'LEGO® Technic 42115': [
        101, 23853, 29656, 6627, 8713, 29403, 16068, 102],
    '10x Stainless-steel M8 bolts; DIN 933': [
        101, 2184, 2595, 18676, 1011, 3886, 1049, 2620, 19947, 1025, 11586, 6109,
        2509, 102],
    'über-soft fleece blanket 150×200cm': [
        101, 19169, 1011, 3730, 10574, 3401, 8768, 5018, 26306, 28332, 27487, 102],
}


@pytest.mark.parametrize("text", sorted(GOLDEN))
def test_the_ids_are_the_reference_tokenizers(text: str) -> None:
    assert token_ids(text) == GOLDEN[text]


def test_a_long_description_is_cut_at_the_models_length() -> None:
    ids = token_ids("cotton " * 300)
    assert len(ids) == MOST_TOKENS and ids[0] == 101 and ids[-1] == 102
