"""A competition's results settings: the presets and numbers its results follow."""

from competitions.audit.services import record
from competitions.contests.models import Competition, EventStage
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.results import lifecycle, ranking
from competitions.results.awards import AWARD_SCHEMES
from competitions.results.titles import TITLE_RULES

SETTINGS = ("award_scheme", "award_min_total", "award_options", "title_rule", "title_options",
            "notice_hours", "appeal_hours", "tie_breaks", "advance_top_n")
MAX_NOTICE_HOURS = 30 * 24


def results_made_public(competition: Competition) -> bool:
    """Whether any event's results have been published (they stay on record once public)."""
    return any(e.stage in (EventStage.PUBLISHED, EventStage.FINAL)
               or e.notice_ends_at is not None for e in competition.events)


def save_results_settings(actor, competition: Competition, **values) -> None:
    """Change the presets and numbers the competition's results follow, until any is public."""
    if not competition.can_manage(actor):
        raise PermissionDenied(_l("You do not organise this competition."))
    if results_made_public(competition):
        raise lifecycle.ResultsRefused(_l(
            "Results of this competition have been published, so its results settings can no "
            "longer change."))
    if values["award_scheme"] not in AWARD_SCHEMES:
        raise lifecycle.ResultsRefused(_l("Choose an award scheme."), field="award_scheme")
    if values["title_rule"] is not None and values["title_rule"] not in TITLE_RULES:
        raise lifecycle.ResultsRefused(_l("Choose a title rule, or none."), field="title_rule")
    values.setdefault("award_options", {})
    values.setdefault("title_options", {})
    _check_options(values["award_options"], AWARD_SCHEMES[values["award_scheme"]].defaults,
                   "award_options", minimum=0)
    if values["title_rule"] is None:
        values["title_options"] = {}
    else:
        _check_options(values["title_options"], TITLE_RULES[values["title_rule"]].defaults,
                       "title_options", minimum=1)
    _check_periods(values["notice_hours"], values["appeal_hours"])
    chain = values["tie_breaks"]
    if not chain:
        raise lifecycle.ResultsRefused(_l(
            "Keep at least the first step: medals are not shared, so equal totals must be "
            "separated."), field="tie_breaks")
    if any(name not in ranking.TIE_BREAKS for name in chain) or len(set(chain)) != len(chain):
        raise lifecycle.ResultsRefused(_l("Each tie-break may be used once."),
                                       field="tie_breaks")
    before = {name: getattr(competition, name) for name in SETTINGS}
    for name in SETTINGS:
        setattr(competition, name, values[name])
    db.session.flush()
    after = {name: getattr(competition, name) for name in SETTINGS}
    if after != before:
        record(actor, "competition.results_settings", competition, before=before, after=after)


def _check_options(options: dict, defaults, field: str, *, minimum: int) -> None:
    """A preset's own numbers (e.g. how many first prizes): only those it takes, whole, and at
    least `minimum`."""
    if set(options) - set(defaults) or any(
            not _whole(v) or v < minimum for v in options.values()):
        raise lifecycle.ResultsRefused(_l("The preset's numbers must be whole numbers of at "
                                          "least %(n)d.", n=minimum), field=field)


def _check_periods(notice_hours, appeal_hours) -> None:
    """Whole hours from publication: the notice 1 hour to 30 days, the appeal window at least 1
    hour and never past the notice, so that every appeal is filed while the results cannot
    yet be finalised."""
    if not _whole(notice_hours) or not 1 <= notice_hours <= MAX_NOTICE_HOURS:
        raise lifecycle.ResultsRefused(_l("The public notice runs for 1 hour to 30 days."),
                                       field="notice_hours")
    if not _whole(appeal_hours) or not 1 <= appeal_hours <= notice_hours:
        raise lifecycle.ResultsRefused(_l("The appeal window runs for at least 1 hour and no "
                                          "longer than the public notice."),
                                       field="appeal_hours")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
