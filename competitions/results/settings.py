"""A competition's results settings: the award and title rules its results follow, the notice,
the tie-break order and advancement."""

from collections.abc import Mapping

from competitions.audit.services import record
from competitions.contests.models import Competition, EventStage
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.results import lifecycle, ranking
from competitions.results.award_plans import AWARD_PRESETS, AwardConfig
from competitions.results.titles import TITLE_RULES

SETTINGS = ("award_scheme", "award_config", "title_rules", "notice_hours", "appeal_hours",
            "tie_breaks", "advance_top_n")
CUSTOM = "custom"  # award_scheme when the organiser set rules of their own
MAX_NOTICE_HOURS = 30 * 24

# How to read a preset's own numbers back from the config it built: to show them on the
# settings page, and to check that a config said to follow a preset really does.
_OPTIONS_IN_CONFIG = {
    "fixed_counts": lambda config: dict(zip(("first", "second", "third"), config.prize.counts,
                                            strict=True)),
    "guizhou_2023": lambda config: {"excellence": config.prize.excellence.places},
}


def results_made_public(competition: Competition) -> bool:
    """Whether any event's results have been published (they stay on record once public)."""
    return any(e.stage in (EventStage.PUBLISHED, EventStage.FINAL)
               or e.notice_ends_at is not None for e in competition.events)


def preset_options(name: str, config: AwardConfig) -> dict[str, int] | None:
    """The numbers under which the preset `name` gives `config`, its minimum totals aside
    (they may be added to any preset); None when the preset never gives it."""
    preset = AWARD_PRESETS[name]
    rules = AwardConfig(prize=config.prize, medal=config.medal)
    read = _OPTIONS_IN_CONFIG.get(name, lambda _config: {})
    try:
        options = read(rules)
        return options if preset.config(**options) == rules else None
    except (AttributeError, TypeError, ValueError):
        return None


def save_results_settings(actor, competition: Competition, *, award_scheme: str,
                          award_config: dict, title_rules: list, notice_hours: int,
                          appeal_hours: int, tie_breaks: list[str], advance_top_n: int) -> None:
    """Change the rules and numbers the competition's results follow, until any is public.

    `award_config` is the JSON of an AwardConfig; `award_scheme` names the preset it follows
    (with its own numbers, and any minimum totals), or is "custom". `title_rules` lists the
    title presets that apply, in order, each with its own numbers: [[name, {option: n}], …].
    """
    if not competition.can_manage(actor):
        raise PermissionDenied(_l("You do not organise this competition."))
    if results_made_public(competition):
        raise lifecycle.ResultsRefused(_l(
            "Results of this competition have been published, so its results settings can no "
            "longer change."))
    if award_scheme != CUSTOM and award_scheme not in AWARD_PRESETS:
        raise lifecycle.ResultsRefused(_l("Choose an award scheme."), field="award_scheme")
    try:
        config = AwardConfig.from_json(award_config)
    except (ValueError, TypeError):
        raise lifecycle.ResultsRefused(_l(
            "These award rules are incomplete or inconsistent: check each award's numbers."),
            field="award_config") from None
    if award_scheme != CUSTOM and preset_options(award_scheme, config) is None:
        raise lifecycle.ResultsRefused(_l(
            "These award rules are not those of the chosen preset: choose \"Custom\" to set "
            "rules of your own."), field="award_config")
    _check_periods(notice_hours, appeal_hours)
    if not tie_breaks:
        raise lifecycle.ResultsRefused(_l(
            "Keep at least the first step: medals are not shared, so equal totals must be "
            "separated."), field="tie_breaks")
    if (any(name not in ranking.TIE_BREAKS for name in tie_breaks)
            or len(set(tie_breaks)) != len(tie_breaks)):
        raise lifecycle.ResultsRefused(_l("Each tie-break may be used once."),
                                       field="tie_breaks")
    values = {"award_scheme": award_scheme, "award_config": config.to_json(),
              "title_rules": _checked_title_rules(title_rules), "notice_hours": notice_hours,
              "appeal_hours": appeal_hours, "tie_breaks": list(tie_breaks),
              "advance_top_n": advance_top_n}
    before = {name: getattr(competition, name) for name in SETTINGS}
    for name in SETTINGS:
        setattr(competition, name, values[name])
    db.session.flush()
    after = {name: getattr(competition, name) for name in SETTINGS}
    if after != before:
        record(actor, "competition.results_settings", competition, before=before, after=after)


def _checked_title_rules(title_rules) -> list[list]:
    """Each rule a known preset, listed once, with only the numbers it takes, whole and ≥ 1."""
    checked, seen = [], set()
    for choice in title_rules or ():
        if (not isinstance(choice, list | tuple) or len(choice) != 2
                or choice[0] not in TITLE_RULES or choice[0] in seen):
            raise lifecycle.ResultsRefused(_l("Choose each title rule at most once."),
                                           field="title_rules")
        name, options = choice
        options = {} if options is None else options
        if not isinstance(options, Mapping) or set(options) - set(TITLE_RULES[name].defaults) \
                or not all(_whole(n) and n >= 1 for n in options.values()):
            raise lifecycle.ResultsRefused(_l("A title rule's numbers must be whole numbers of "
                                              "at least 1."), field="title_rules")
        seen.add(name)
        checked.append([name, dict(options)])
    return checked


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
