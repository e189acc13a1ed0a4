"""The evaluation's tables, built once from an Evaluation (and the previous year's) and shown
three ways: on the page, in the .xlsx (one sheet per table) and in the annual report PDF.

A cell is a str, an int, a Decimal percentage or None ("—": no denominator). Headers and labels
are lazy texts: the page shows them in the reader's language, the documents in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import force_locale

from competitions.evaluation.measures import Breakdown, Evaluation, Rate
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Tier
from competitions.spreadsheets.writer import Column, Sheet, workbook_bytes

TEXT, COUNT, PERCENT = "text", "count", "percent"
PERCENT_FORMAT = "0.00"
CHANGE_COLUMN = 3

# The definitions, worded as in measures.py's docstring: shown beside every figure.
DEFINITIONS = {
    "year": _l("A competition or drill counts in the year of its first day."),
    "workforce": _l("The sum of the recorded workforce of the subtree's employing units; units "
                    "with none recorded are listed below, never guessed."),
    "entries": _l("Entries in the year's competitions (any status but withdrawn or rejected); "
                  "entrants are the distinct workers with an entry."),
    "participants": _l("Distinct named workers employed in the subtree with an entry (any status "
                       "but withdrawn or rejected) in a competition of the year, or a named place "
                       "in a drill of the year."),
    "unnamed": _l("The participant counts of drills recorded without names, a separate term: "
                  "those people may also be counted by name."),
    "participation": _l("(Named participants + unnamed drill participants) ÷ workforce."),
    "beneficiaries": _l("Distinct named workers who in the year won an award, an approved title, "
                        "a nomination to the next tier or a confirmed competition-based "
                        "promotion."),
    "benefit": _l("Beneficiaries ÷ workforce."),
    "benefit_of_participants": _l("Beneficiaries ÷ named participants."),
    "coverage": _l("The share of the subtree's enterprises (schools apart) that entered at least "
                   "one worker in the year."),
    "non_public": _l("The same share among non-public enterprises (private; foreign, Hong Kong, "
                     "Macao or Taiwan funded)."),
}


@dataclass(frozen=True)
class Measure:
    key: str
    label: object
    kind: str
    current: int | Decimal | None
    previous: int | Decimal | None
    definition: object

    @property
    def change(self) -> int | Decimal | None:
        """This year less last year (percentage points for a rate); None when either is."""
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass(frozen=True)
class Table:
    key: str  # also the anchor and test id on the page
    title: object
    headers: list[object]
    kinds: list[str | None]  # None: the kind is the row's (row_kinds), as on the headline table
    rows: list[list]
    row_kinds: list[str] = field(default_factory=list)

    def kind(self, row: int, column: int) -> str:
        return self.kinds[column] or self.row_kinds[row]

    def is_change(self, column: int) -> bool:
        """The headline table's 增减 column: printed with its sign."""
        return self.key == "measures" and column == CHANGE_COLUMN


def _value(figure):
    return figure.percent if isinstance(figure, Rate) else figure


def measures(current: Evaluation, previous: Evaluation | None) -> list[Measure]:
    """The headline figures, each with last year's and its definition."""
    spec = [
        ("workforce", _l("Workforce"), lambda e: e.workforce, "workforce"),
        ("without_workforce", _l("Units without a workforce recorded"),
         lambda e: e.units_without_workforce_count or len(e.units_without_workforce),
         "workforce"),
        ("competitions", _l("Competitions held"),
         lambda e: sum(e.competitions_by_tier.values()), "year"),
        ("events", _l("Events held"), lambda e: sum(e.events_by_tier.values()), "year"),
        ("drills", _l("Drills recorded"), lambda e: e.drills, "year"),
        ("entries", _l("Entries in the year"), lambda e: e.entries, "entries"),
        ("entrants", _l("Entrants (distinct workers)"), lambda e: e.entrants, "entries"),
        ("named_participants", _l("Named participants"), lambda e: e.named_participants,
         "participants"),
        ("unnamed_drill_participants", _l("Unnamed drill participants"),
         lambda e: e.unnamed_drill_participants, "unnamed"),
        ("participation", _l("Participation rate"), lambda e: e.participation, "participation"),
        ("beneficiaries", _l("Beneficiaries"), lambda e: e.beneficiaries, "beneficiaries"),
        ("benefit", _l("Benefit rate"), lambda e: e.benefit, "benefit"),
        ("benefit_of_participants", _l("Benefit rate among participants"),
         lambda e: e.benefit_of_participants, "benefit_of_participants"),
        ("enterprises", _l("Enterprises"), lambda e: e.enterprises, "coverage"),
        ("enterprises_entered", _l("Enterprises that entered"), lambda e: e.enterprises_entered,
         "coverage"),
        ("coverage", _l("Coverage"), lambda e: e.coverage, "coverage"),
        ("non_public_enterprises", _l("Non-public enterprises"),
         lambda e: e.non_public_enterprises, "non_public"),
        ("non_public_entered", _l("Non-public enterprises that entered"),
         lambda e: e.non_public_entered, "non_public"),
        ("non_public_coverage", _l("Non-public coverage"), lambda e: e.non_public_coverage,
         "non_public"),
    ]
    return [Measure(key, label, PERCENT if isinstance(get(current), Rate) else COUNT,
                    _value(get(current)), _value(get(previous)) if previous else None,
                    DEFINITIONS[definition])
            for key, label, get, definition in spec]


def _breakdown(key: str, title, first, rows: list[Breakdown]) -> Table:
    return Table(key, title, [first, _l("Workforce"), _l("Named participants"),
                              _l("Beneficiaries"), _l("Participation rate (per cent)"),
                              _l("Benefit rate (per cent)")],
                 [TEXT, COUNT, COUNT, COUNT, PERCENT, PERCENT],
                 [[row.label, row.workforce, row.participants, row.beneficiaries,
                   row.participation.percent, row.benefit.percent] for row in rows])


def tables(current: Evaluation, previous: Evaluation | None = None) -> list[Table]:
    """Every table of the evaluation, in the page's order."""
    figures = measures(current, previous)
    headline = Table("measures", _l("Headline measures"),
                     [_l("Measure"), _l("This year"), _l("Last year"), _l("Change on last year"),
                      _l("Definition")],
                     [TEXT, None, None, None, TEXT],
                     [[m.label, m.current, m.previous, m.change, m.definition]
                      for m in figures],
                     [m.kind for m in figures])
    tiers = [tier for tier in Tier if current.competitions_by_tier.get(tier)
             or current.events_by_tier.get(tier)]
    by_tier = Table("by_tier", _l("Competitions and events by tier"),
                    [_l("Tier"), _l("Competitions"), _l("Events")], [TEXT, COUNT, COUNT],
                    [[tier.label, current.competitions_by_tier.get(tier, 0),
                      current.events_by_tier.get(tier, 0)] for tier in tiers])
    outcomes = current.outcomes
    results = Table("outcomes", _l("Outcomes"), [_l("Outcome"), _l("Number")], [TEXT, COUNT], [
        [_l("Awards won"), outcomes.awards],
        [_l("Titles approved"), outcomes.titles],
        *[[_l("Promoted to %(level)s", level=level.label), count]
          for level, count in sorted(outcomes.promotions.items())],
        [_l("Nominated to the next tier"), outcomes.nominations_sent],
        [_l("Nominees who won an award at the next tier"), outcomes.nominees_awarded],
    ])
    return [
        headline, by_tier, results,
        _breakdown("by_child", _l("By district or unit"), _l("Unit"), current.by_child),
        _breakdown("by_industry", _l("By industry"), _l("Industry"), current.by_industry),
        _breakdown("by_ownership", _l("By ownership"), _l("Ownership"), current.by_ownership),
        _breakdown("by_size", _l("By size"), _l("Size"), current.by_size),
        Table("never_entered", _l("Enterprises that never entered"), [_l("Enterprise")], [TEXT],
              [[unit.name] for unit in current.never_entered]),
        Table("without_workforce", _l("Units without a workforce recorded"), [_l("Unit")],
              [TEXT], [[unit.name] for unit in current.units_without_workforce]),
    ]


def shown(value, kind: str, *, signed: bool = False) -> str:
    """A cell as the page and the PDF print it: rates with two decimals and a %, "—" for none;
    `signed`: a change, with its sign (a rate's in percentage points)."""
    if value is None:
        return "—"
    text = f"{value:+}" if signed and isinstance(value, int | Decimal) else str(value)
    if kind == PERCENT:
        return f"{text}%" if not signed else str(_l("%(change)s pp", change=text))
    return text


def workbook(all_tables: list[Table]) -> bytes:
    """One sheet per table, in Chinese; numbers as numbers, percentages to two places."""
    with force_locale("zh"):
        sheets = []
        for table in all_tables:
            columns = [Column(str(header), 40 if kind == TEXT else 14,
                              PERCENT_FORMAT if kind == PERCENT else None)
                       for header, kind in zip(table.headers, table.kinds, strict=True)]
            rows = [[_cell(cell) for cell in row] for row in table.rows]
            sheets.append(Sheet(str(table.title)[:31], columns, rows))
        return workbook_bytes(*sheets)


def _cell(value):
    """Numbers stay numbers (a rate as its percentage to two places); texts become strings."""
    return value if value is None or isinstance(value, int | Decimal) else str(value)
