"""Characters no typed text may hold: controls, text-direction overrides, stray accent marks.

Every form field and every spreadsheet cell goes through `find_text_problem`, so one rule decides
what text the platform stores. Refused, anywhere:
- control characters (Unicode category Cc, NUL included; PostgreSQL cannot even store NUL), and
  lone surrogates (Cs), except tab, line feed and carriage return in multi-line text;
- bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), which make a
  name display as something else (the "RLO" trick);
- a combining mark (Mn, Mc, Me) with nothing to combine with: at the start of the text or of a
  word, where it would stack onto the previous word's space or the surrounding page.
Nothing is normalised here (NFKC would turn ① into 1 and so change an ID number's meaning).
"""

import unicodedata
from dataclasses import dataclass

from competitions.i18n import lazy_gettext as _l

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                          "\u200e\u200f\u061c")
LINE_CONTROLS = frozenset("\t\n\r")
COMBINING = frozenset({"Mn", "Mc", "Me"})


@dataclass(frozen=True)
class TextProblem:
    kind: str  # "control", "bidi" or "combining"
    char: str
    position: int

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"


def find_text_problem(text: str, *, multiline: bool = False) -> TextProblem | None:
    """The first character `text` may not hold, or None when all are acceptable."""
    previous = ""
    for position, char in enumerate(text):
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") and not (multiline and char in LINE_CONTROLS):
            return TextProblem("control", char, position)
        if char in BIDI_CONTROLS:
            return TextProblem("bidi", char, position)
        if category in COMBINING and (not previous or previous.isspace()):
            return TextProblem("combining", char, position)
        previous = char
    return None


def is_clean_text(text: str, *, multiline: bool = False) -> bool:
    return find_text_problem(text, multiline=multiline) is None


def problem_message(problem: TextProblem, field):
    """Why `problem` is refused, naming the form field or spreadsheet column it is in."""
    if problem.kind == "control":
        return _l("%(field)s contains a control character (%(code)s) that cannot be stored; "
                  "retype it without it.", field=field, code=problem.code)
    if problem.kind == "bidi":
        return _l("%(field)s contains an invisible text-direction character (%(code)s); "
                  "retype it without it.", field=field, code=problem.code)
    return _l("%(field)s has an accent mark (%(code)s) with no letter before it; remove it.",
              field=field, code=problem.code)
