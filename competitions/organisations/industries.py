"""The sections (门类) of the national industrial classification, GB/T 4754-2017
(国民经济行业分类): an employing unit records its section's letter, e.g. "C" for 制造业."""

from competitions.i18n import lazy_gettext as _l

SECTIONS = {
    "A": _l("Agriculture, forestry, animal husbandry and fishery"),
    "B": _l("Mining"),
    "C": _l("Manufacturing"),
    "D": _l("Production and supply of electricity, heat, gas and water"),
    "E": _l("Construction"),
    "F": _l("Wholesale and retail trade"),
    "G": _l("Transport, storage and post"),
    "H": _l("Accommodation and catering"),
    "I": _l("Information transmission, software and information technology services"),
    "J": _l("Finance"),
    "K": _l("Real estate"),
    "L": _l("Leasing and business services"),
    "M": _l("Scientific research and technical services"),
    "N": _l("Water conservancy, environment and public facilities management"),
    "O": _l("Resident, repair and other services"),
    "P": _l("Education"),
    "Q": _l("Health and social work"),
    "R": _l("Culture, sports and entertainment"),
    "S": _l("Public administration, social security and social organisations"),
    "T": _l("International organisations"),
}


def choices() -> list[tuple[str, object]]:
    """For a select: "C 制造业"."""
    return [(letter, f"{letter} {label}") for letter, label in SECTIONS.items()]


def text_of(letter: str | None) -> str | None:
    """"C 制造业" for "C"; None for None."""
    return f"{letter} {SECTIONS[letter]}" if letter in SECTIONS else None
