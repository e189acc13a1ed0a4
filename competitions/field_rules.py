"""The length rule of a piece of typed text, applied alike by its form field and by its
spreadsheet column, so an import never accepts what the form refuses (nor what the column holds).
"""

from dataclasses import dataclass

from wtforms.validators import DataRequired, Length, Optional

from competitions.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class TextRule:
    max_length: int
    required: bool = False

    def validators(self, *, required: bool | None = None) -> list:
        """The WTForms validators of a field following this rule."""
        required = self.required if required is None else required
        return [DataRequired() if required else Optional(), Length(max=self.max_length)]

    def problem(self, text: str, name: str):
        """Why `text` (already trimmed) breaks the rule, naming the field or column; or None."""
        if not text:
            return _l("%(column)s is required.", column=name) if self.required else None
        if len(text) > self.max_length:
            return _l("%(column)s may hold at most %(n)d characters; this one has %(count)d.",
                      column=name, n=self.max_length, count=len(text))
        return None
