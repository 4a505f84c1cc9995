"""Write the SAMPLE national schedules shipped in src/singlewindow/tariff/data/schedules/.

    .venv/bin/python tools/make_sample_schedules.py

Deterministic: the same HS data gives the same files, byte for byte. The rates are invented
(plausible by chapter and country, not official); no real AHTN 2022 rate table is openly
available. Lines are 8-digit codes under real HS 2022 subheadings, mostly "00" lines, split
into "10"/"90" where the later end-to-end flows want a national line.
"""

from __future__ import annotations

import csv
import io
import zlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "singlewindow" / "tariff" / "data"
OUT = DATA / "schedules"
VALID_FROM = "2022-01-01"  # AHTN 2022 entered into force on 1 January 2022
COLUMNS = (
    "code", "description", "unit", "valid_from", "valid_to",
    "mfn", "atiga", "vat", "excise", "reference_unit_value",
)


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    currency: str
    per_usd: Decimal  # national currency per US dollar, a rough round figure
    vat: str
    mfn_factor: Decimal  # how this country's MFN rates compare with the base ones below
    excise: dict[str, str]  # heading or subheading prefix → excise rate (national currency)


COUNTRIES = (
    Country("VN", "Viet Nam", "VND", Decimal(25000), "10%", Decimal(1), {
        "2203": "65%", "2204": "65%", "2208": "65%", "2402": "75%", "2710": "2000/l",
        "870321": "35%", "870322": "40%", "870323": "50%", "870324": "60%", "8703": "40%",
    }),
    Country("KH", "Cambodia", "KHR", Decimal(4100), "10%", Decimal("0.85"), {
        "2203": "30%", "2204": "35%", "2208": "35%", "2402": "20%", "2710": "450/l",
        "8703": "45%",
    }),
    Country("LA", "Lao PDR", "LAK", Decimal(21000), "10%", Decimal("0.8"), {
        "2203": "50%", "2204": "55%", "2208": "65%", "2402": "60%", "2710": "24%",
        "8703": "40%",
    }),
    Country("TH", "Thailand", "THB", Decimal(35), "7%", Decimal(1), {
        "2203": "22%", "2204": "10%", "2208": "20%", "2402": "42%", "2710": "6.5/l",
        "8703": "30%",
    }),
    Country("MY", "Malaysia", "MYR", Decimal("4.5"), "10%", Decimal("0.7"), {
        "2203": "15% + 1.4/l", "2204": "15% + 7/l", "2208": "15% + 22/l", "2402": "400/1000u",
        "8703": "75%",
    }),
    Country("SG", "Singapore", "SGD", Decimal("1.35"), "9%", Decimal(0), {
        "2203": "6/l", "2204": "9/l", "2208": "35/l", "2402": "427/1000u", "2710": "0.66/l",
        "8703": "20%",
    }),
)


@dataclass(frozen=True)
class Chapter:
    mfn: int  # base MFN percentage (a Viet Nam-like level)
    unit: str
    usd_per_unit: Decimal  # usual customs value of one unit, for reference_unit_value
    picks: int  # how many subheadings to take, evenly spread over the chapter


CHAPTERS: dict[str, Chapter] = {
    "03": Chapter(15, "kg", Decimal(5), 9),
    "08": Chapter(20, "kg", Decimal(2), 9),
    "09": Chapter(20, "kg", Decimal(4), 8),
    "10": Chapter(30, "kg", Decimal("0.6"), 7),
    "16": Chapter(30, "kg", Decimal(6), 8),
    "17": Chapter(25, "kg", Decimal("0.6"), 6),
    "19": Chapter(25, "kg", Decimal(3), 7),
    "20": Chapter(30, "kg", Decimal(3), 9),
    "22": Chapter(35, "l", Decimal(2), 8),
    "24": Chapter(30, "kg", Decimal(8), 5),
    "27": Chapter(5, "kg", Decimal("0.5"), 6),
    "33": Chapter(20, "kg", Decimal(12), 7),
    "39": Chapter(10, "kg", Decimal(2), 9),
    "40": Chapter(5, "kg", Decimal(2), 8),
    "44": Chapter(5, "kg", Decimal(1), 8),
    "52": Chapter(5, "kg", Decimal(4), 8),
    "61": Chapter(20, "u", Decimal(5), 9),
    "62": Chapter(20, "u", Decimal(8), 9),
    "64": Chapter(30, "pair", Decimal(12), 8),
    "69": Chapter(25, "kg", Decimal("1.5"), 7),
    "72": Chapter(5, "kg", Decimal("0.8"), 9),
    "73": Chapter(10, "kg", Decimal(3), 9),
    "84": Chapter(3, "u", Decimal(300), 10),
    "85": Chapter(10, "u", Decimal(100), 10),
    "87": Chapter(30, "u", Decimal(2000), 8),
    "90": Chapter(3, "u", Decimal(200), 7),
    "94": Chapter(25, "u", Decimal(80), 8),
    "95": Chapter(20, "u", Decimal(10), 7),
}

# Units by heading where they differ from the chapter's.
UNITS = {
    "2401": "kg", "2402": "1000u", "2403": "kg", "2710": "l", "4407": "m3", "4408": "m3",
    "8703": "u", "8708": "kg", "8549": "kg", "8714": "kg", "9403": "u", "9401": "u",
}
USD_PER_UNIT = {
    "0901": Decimal(4), "1006": Decimal("0.6"), "2203": Decimal("1.2"), "2204": Decimal(6),
    "2208": Decimal(10), "2402": Decimal(25), "2710": Decimal("0.7"), "4001": Decimal("1.6"),
    "4407": Decimal(450), "6109": Decimal(3), "6403": Decimal(18), "8471": Decimal(550),
    "8517": Decimal(280), "8703": Decimal(18000), "9403": Decimal(120),
    "3915": Decimal("0.3"), "7204": Decimal("0.35"), "8549": Decimal(2),
}
# MFN rates that are not plain percentages (the base, in US dollars per unit, converted).
SPECIAL_MFN = {
    "2203": ("{pct}% min {usd}/l", Decimal("0.3")),
    "2208": ("{pct}% + {usd}/l", Decimal(1)),
    "2402": ("{pct}% min {usd}/1000u", Decimal(15)),
    "2710": ("{pct}% + {usd}/l", Decimal("0.02")),
    "6109": ("{pct}% min {usd}/u", Decimal("0.5")),
    "6403": ("{pct}% max {usd}/pair", Decimal(3)),
}
MFN_BY_HEADING = {"8471": 0, "8517": 0, "2203": 35, "2204": 40, "2208": 40, "2402": 40,
                  "8703": 40, "0901": 15, "4001": 3, "4407": 0}
SENSITIVE = ("1006", "1701", "2401")  # ATIGA 5% rather than 0%
EXCLUDED = ("2208", "2402")  # no ATIGA rate in these samples: MFN applies
BANDS = (0, 1, 3, 5, 7, 10, 12, 15, 20, 25, 30, 35, 40)

# National lines later flows rely on, with their descriptions.
NAMED_LINES = {
    "09011100": "Coffee, not roasted, not decaffeinated (arabica and robusta beans)",
    "10063010": "Fragrant rice (jasmine), semi-milled or wholly milled",
    "10063090": "Other rice, semi-milled or wholly milled",
    "40012210": "Technically specified natural rubber (TSNR) 10",
    "40012290": "Other technically specified natural rubber (TSNR 20, CV)",
    "44071100": "Sawn wood of pine, thicker than 6 mm",
    "44072300": "Sawn wood of teak, thicker than 6 mm",
    "44072900": "Sawn tropical wood n.e.c. (e.g. keruing, rubber wood), thicker than 6 mm",
    "44079900": "Other sawn wood, thicker than 6 mm",
    "61091000": "T-shirts, singlets and other vests, of cotton, knitted or crocheted",
    "64039910": "Sports footwear with outer soles of rubber or plastics and uppers of leather",
    "64039990": "Other footwear with uppers of leather",
    "84713000": "Laptops, notebooks and tablets (portable data processing machines, <= 10 kg)",
    "85171300": "Smartphones",
    "87032310": "Motor cars, cylinder capacity over 1,500 cc but not over 2,000 cc",
    "87032390": "Motor cars, cylinder capacity over 2,000 cc but not over 3,000 cc",
    "22030010": "Stout and porter",
    "22030090": "Other beer made from malt (lager)",
    "24022010": "Clove cigarettes (kretek)",
    "24022090": "Other cigarettes containing tobacco",
    "94036010": "Wooden furniture of teak or rosewood, other than office, kitchen, bedroom",
    "94036090": "Other wooden furniture, other than office, kitchen or bedroom",
    "27101224": "Motor spirit (gasoline), RON 95, unleaded",
    "27101971": "Automotive diesel fuel",
    "22042100": "Wine of fresh grapes, in containers holding 2 l or less",
    "22083000": "Whiskies",
    "87032100": "Motor cars, cylinder capacity not over 1,000 cc",
    # Waste under the Basel Convention (the green room's checks)
    "39151000": "Waste, parings and scrap of polymers of ethylene",
    "39159000": "Waste, parings and scrap of other plastics",
    "72044900": "Other ferrous waste and scrap",
    "85499100": "Other electrical and electronic waste and scrap",
}


def read_hs() -> dict[str, str]:
    with (DATA / "harmonized-system.csv").open(encoding="utf-8-sig", newline="") as file:
        return {row["hscode"]: row["description"] for row in csv.DictReader(file)
                if row["level"] == "6"}


def pick_codes(hs: dict[str, str]) -> dict[str, str]:
    """Code → description: evenly spread subheadings per chapter, plus the named lines."""
    lines: dict[str, str] = {}
    named_subheadings = {code[:6] for code in NAMED_LINES}
    for chapter, plan in CHAPTERS.items():
        subheadings = sorted(code for code in hs if code.startswith(chapter))
        step = len(subheadings) / plan.picks
        for i in range(min(plan.picks, len(subheadings))):
            subheading = subheadings[int(i * step)]
            if subheading not in named_subheadings:
                lines[subheading + "00"] = hs[subheading]
    for code, description in NAMED_LINES.items():
        assert code[:6] in hs, code
        lines[code] = description
    return dict(sorted(lines.items()))


def stable(code: str, salt: str) -> int:
    return zlib.crc32(f"{salt}:{code}".encode())


def snap(percent: Decimal) -> int:
    return min(BANDS, key=lambda band: (abs(Decimal(band) - percent), band))


def money(usd: Decimal, country: Country) -> str:
    """A round national amount: two significant figures, no more decimals than needed."""
    amount = usd * country.per_usd
    exponent = amount.adjusted() - 1
    rounded = amount.scaleb(-exponent).quantize(Decimal(1), ROUND_HALF_UP).scaleb(exponent)
    text = format(rounded, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def unit_of(code: str) -> str:
    return UNITS.get(code[:4]) or ("l" if code[:2] == "22" else CHAPTERS[code[:2]].unit)


def mfn_of(code: str, country: Country) -> str:
    base = MFN_BY_HEADING.get(code[:4], CHAPTERS[code[:2]].mfn)
    # A little spread between lines of one chapter, the same every run.
    nudge = Decimal((stable(code, "mfn") % 5) - 2)
    percent = snap((Decimal(base) + nudge) * country.mfn_factor) if base else 0
    special = SPECIAL_MFN.get(code[:4])
    if special is None:
        return f"{percent}%"
    template, usd = special
    if percent == 0 and code[:4] in ("2203", "2208", "2402"):
        # Singapore-like: no ad valorem duty, a specific duty on alcohol and tobacco.
        return f"{money(usd * 4, country)}/{unit_of(code)}"
    if percent == 0:
        return "0%"
    return template.format(pct=percent, usd=money(usd, country))


def atiga_of(code: str, mfn: str) -> str:
    if code[:4] in EXCLUDED:
        return ""
    if code[:4] in SENSITIVE and mfn != "0%":
        return "5%"
    return "0%"


def excise_of(code: str, country: Country) -> str:
    for length in (6, 4):
        rate = country.excise.get(code[:length])
        if rate is not None:
            return rate
    return ""


def reference_value(code: str, country: Country) -> str:
    usd = USD_PER_UNIT.get(code[:4], CHAPTERS[code[:2]].usd_per_unit)
    spread = Decimal(70 + stable(code, "value") % 61) / 100  # 0.70 .. 1.30
    return money(usd * spread, country)


def schedule(country: Country, lines: dict[str, str]) -> str:
    out = io.StringIO()
    out.write(
        f"# SAMPLE national tariff schedule for {country.name} ({country.code}), generated by\n"
        f"# tools/make_sample_schedules.py. This is NOT the official AHTN 2022 schedule of\n"
        f"# {country.name}: the lines are real HS 2022 subheadings but the rates are invented\n"
        f"# for demonstration and tests. Load the real schedule in the same format\n"
        f"# (docs/tariff-csv.md). Specific rates and reference values are in {country.currency}.\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for code, description in lines.items():
        mfn = mfn_of(code, country)
        writer.writerow([
            f"{code[:4]}.{code[4:6]}.{code[6:]}",
            description,
            unit_of(code),
            VALID_FROM,
            "",
            mfn,
            atiga_of(code, mfn),
            country.vat,
            excise_of(code, country),
            reference_value(code, country),
        ])
    return out.getvalue()


def main() -> None:
    lines = pick_codes(read_hs())
    OUT.mkdir(parents=True, exist_ok=True)
    for country in COUNTRIES:
        (OUT / f"{country.code}.csv").write_text(schedule(country, lines), encoding="utf-8")
        chapters = len({code[:2] for code in lines})
        print(f"{country.code}: {len(lines)} lines in {chapters} chapters")


if __name__ == "__main__":
    main()
