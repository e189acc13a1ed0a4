"""Audit entries as people read them: the action's name, the object's name, and each changed
field before → after, with values shortened and ID numbers never in full."""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext

from competitions.audit.labels import (
    ENUM_FIELDS,
    HIDDEN_FIELDS,
    NAMED_VALUES,
    REFERENCE_FIELDS,
    action_label,
    field_label,
    subject_label,
)
from competitions.audit.models import AuditEntry
from competitions.audit.names import load_names
from competitions.i18n import local_time
from competitions.masking import mask_id_number

MAX_VALUE = 80  # characters of one value shown; the rest is cut with "…"
MAX_PARTS = 8  # fields of a nested value spelled out before it is summarised
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?")
DIGEST = re.compile(r"([0-9a-z]{1,16}:)?[0-9a-f]{32,}")
MISSING = "—"


@dataclass
class Change:
    label: str
    before: str | None  # None: the field was not there before (or after)
    after: str | None


@dataclass
class ReadableEntry:
    entry: AuditEntry
    action: str  # the action's label, or its code when it has none
    subject_kind: str
    subject_name: str
    changes: list[Change] = field(default_factory=list)


def _loads(text: str | None):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def _references(name: str, value) -> list[tuple[str, str]]:
    kind = REFERENCE_FIELDS.get(name)
    if name == "workers" and isinstance(value, list):
        kind = "Worker"
    if kind is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [(kind, str(v)) for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _shorten(text: str) -> str:
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "…"


class _Formatter:
    def __init__(self, names: dict[tuple[str, str], str]):
        self.names = names

    def value(self, name: str, value) -> str:
        if value is None or value == "" or value == []:
            return MISSING
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if name in NAMED_VALUES:
            return self._named(NAMED_VALUES[name], value)
        refs = _references(name, value)
        if refs:
            return _shorten("、".join(self.names.get(ref, f"#{ref[1]}") for ref in refs))
        if isinstance(value, str):
            return self._text(name, value)
        if isinstance(value, list):
            return _shorten("、".join(self.value("", v) for v in value))
        if isinstance(value, dict):
            if len(value) > MAX_PARTS:
                return ngettext("%(num)d item", "%(num)d items", len(value))
            return _shorten("; ".join(f"{field_label(k)}: {self.value(k, v)}"
                                      for k, v in value.items()))
        return _shorten(str(value))

    def _named(self, labels: dict, value) -> str:
        """A preset's name by its label; a list of them (title rules: [name, options]) too."""
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) \
                and isinstance(value[1], dict):
            value = value[0]  # one title rule: its name and its numbers
        if isinstance(value, list):
            return _shorten("、".join(self._named(labels, v) for v in value)) or MISSING
        label = labels.get(value) if isinstance(value, str) else None
        return _shorten(str(label)) if label is not None else self.value("", value)

    def _text(self, name: str, value: str) -> str:
        for enum in ENUM_FIELDS.get(name, ()):
            try:
                return str(enum(value).label)
            except ValueError:
                continue
        if MOMENT.fullmatch(value):
            try:
                return local_time(datetime.fromisoformat(value))
            except ValueError:
                pass
        if DIGEST.fullmatch(value):
            return value[:8] + "…"
        return _shorten(value)

    def changes(self, before, after) -> list[Change]:
        if not isinstance(before, dict) and not isinstance(after, dict):
            if before is None and after is None:
                return []
            return [Change(_("Value"), None if before is None else self.value("", before),
                           None if after is None else self.value("", after))]
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        found = []
        for name in list(before) + [k for k in after if k not in before]:
            old, new = before.get(name), after.get(name)
            if name in HIDDEN_FIELDS or (name in before and name in after and old == new):
                continue
            label = field_label(name)
            if self._nested(name, old, new):
                for part in self.changes(old, new):
                    found.append(Change(f"{label} · {part.label}", part.before, part.after))
                continue
            found.append(Change(label, self.value(name, old) if name in before else None,
                                self.value(name, new) if name in after else None))
        return found

    @staticmethod
    def _nested(name: str, old, new) -> bool:
        """Whether a field holding a few fields of its own (a judge's marks by criterion) is
        shown field by field."""
        present = [v for v in (old, new) if v is not None]
        return (name not in REFERENCE_FIELDS and bool(present)
                and all(isinstance(v, dict) for v in present)
                and len({*(old or {}), *(new or {})}) <= MAX_PARTS)


def readable(entries: list[AuditEntry]) -> list[ReadableEntry]:
    """The entries of one page, ready to show: every name they need loaded in one query per
    kind of row, never one per entry."""
    parsed = [(entry, _loads(entry.before), _loads(entry.after)) for entry in entries]
    references = {(entry.subject_type, entry.subject_id) for entry in entries}
    for _entry, before, after in parsed:
        for side in (before, after):
            if isinstance(side, dict):
                for name, value in side.items():
                    references.update(_references(name, value))
    names = load_names(references)
    formatter = _Formatter(names)
    return [ReadableEntry(
        entry, action_label(entry.action), subject_label(entry.subject_type),
        names.get((entry.subject_type, entry.subject_id), f"#{entry.subject_id}"),
        formatter.changes(before, after)) for entry, before, after in parsed]
