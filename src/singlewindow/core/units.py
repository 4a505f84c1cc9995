"""Units of quantity (UN/ECE Recommendation 20 short names) a goods item may be declared in."""

UNITS: frozenset[str] = frozenset(
    {"kg", "g", "t", "l", "m", "m2", "m3", "u", "1000u", "pair", "dozen", "kwh"}
)
