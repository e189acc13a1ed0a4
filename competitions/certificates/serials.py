"""Certificate serials and verification tokens (pure).

A serial reads ``2026-C-320100-0000123-K``: the competition's year, its tier's letter, the
issuing organisation's administrative region (GB/T 2260; ``000000`` when none is recorded), the
certificate's number, and a check character over the letters and digits before it (ISO 7064
MOD 37,36, python-stdnum's ``iso7064.mod_37_36``: a digit or a capital letter), so that a
mistyped serial is caught before it is looked up. The token is a separate, unguessable secret
that only the QR code and the printed verification link carry.
"""

import re
import secrets

from stdnum.iso7064 import mod_37_36

from competitions.organisations.models import Tier

TIER_LETTERS = {Tier.ENTERPRISE: "E", Tier.DISTRICT: "D", Tier.CITY: "C",
                Tier.PROVINCIAL: "P", Tier.NATIONAL: "N", Tier.INTERNATIONAL: "I"}
NO_REGION = "000000"
SERIAL_PATTERN = re.compile(r"^(\d{4})-([EDCPNI])-(\d{6})-(\d{7,})-([0-9A-Z])$")


def make_serial(year: int, tier: Tier, region: str | None, number: int) -> str:
    body = f"{year:04d}-{TIER_LETTERS[tier]}-{region or NO_REGION}-{number:07d}"
    return f"{body}-{mod_37_36.calc_check_digit(body.replace('-', ''))}"


def normalise_serial(text: str) -> str | None:
    """A serial as typed (any case, spaces, full-width hyphens) in its canonical form, or None
    when it cannot be one (wrong shape or check character)."""
    text = re.sub(r"\s+", "", (text or "")).upper().replace("－", "-").replace("—", "-")
    if not SERIAL_PATTERN.match(text):
        return None
    return text if mod_37_36.is_valid(text.replace("-", "")) else None


# The token is printed under the QR code for typing by hand: capitals and digits without the
# look-alikes 0/O and 1/I, in groups of four. 20 characters: 100 random bits.
TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TOKEN_LENGTH = 20


def make_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def normalise_token(text: str) -> str:
    """A token as typed (any case, spaces or hyphens between groups) as stored."""
    return re.sub(r"[\s\-－]+", "", text or "").upper()


def grouped_token(token: str) -> str:
    """ABCD-EFGH-JKLM-NPQR-STUV, as printed."""
    return "-".join(token[i:i + 4] for i in range(0, len(token), 4))
