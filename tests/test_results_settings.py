"""The results settings (issue 12): award rules as contests publish them (a preset with its own
numbers, or custom prizes, medals and 优胜奖, and a minimum total per award), several title rules
at once, refused beside the field, audited, locked once results are public; and the titles
those rules recommend at finalisation."""

import json
from datetime import timedelta
from decimal import Decimal as D
from fractions import Fraction

import pytest
import sqlalchemy as sa

from competitions.audit.models import AuditEntry
from competitions.contests.models import CompetitionClass, EventGroup
from competitions.database import utcnow
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.results import lifecycle, services, settings
from competitions.results.award_plans import AWARD_PRESETS, AwardConfig
from competitions.results.awards import Award
from competitions.results.honours import HonourTitle
from competitions.results.models import TitleAward
from competitions.results.titles import TITLE_RULES
from tests.factories import MarkingSetup, make_admin, make_organiser
from tests.test_results_views import A1, B1, T1, browser, published, text, user_for

FIRST, SECOND, THIRD = Award.FIRST_PRIZE, Award.SECOND_PRIZE, Award.THIRD_PRIZE
GOLD, SILVER, BRONZE, EXCELLENCE = Award.GOLD, Award.SILVER, Award.BRONZE, Award.EXCELLENCE
# Totals of entries 0–3: 80.00, 76.00, 77.00, 82.40, so ranked 3, 0, 2, 1.
BY_RANK = [3, 0, 2, 1]


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree).with_results_officials()
    setup.outsider = make_organiser(tree.other_city, "suzhou_organiser")
    setup.admin = make_admin()
    db.session.commit()
    return setup


def url(setup) -> str:
    return f"/results/competitions/{setup.competition.id}/settings"


def form(**overrides) -> dict:
    """The settings form as posted: the default preset, no titles, then `overrides`."""
    data = {"award_scheme": "medals_half", "notice_period": "5", "notice_unit": "days",
            "appeal_period": "2", "appeal_unit": "days", "tie_breaks-0": "time_used",
            "tie_breaks-1": "practical", "tie_breaks-2": "theory", "advance_top_n": "3"}
    return data | overrides


def custom(**overrides) -> dict:
    """Custom rules: 1, 1 and 1 prizes, medals, 优胜奖 to all others reaching 76."""
    return form(**{"award_scheme": "custom", "prize_scheme": "counts",
                   "prize_count_first": "1", "prize_count_second": "1",
                   "prize_count_third": "1", "medals": "y", "excellence": "min_total",
                   "excellence_min_total": "76", "excellence_by": "prize"} | overrides)


def save(app, setup, data):
    """Post the form as the organiser; the page shown after it."""
    client = browser(app, setup.organiser)
    response = client.post(url(setup), data=data)
    assert response.status_code == 302, text(response)[:3000]
    db.session.expire_all()
    return text(client.get(url(setup)))


def stored(setup) -> AwardConfig:
    db.session.expire_all()
    return AwardConfig.from_json(setup.competition.award_config)


def awards_by_rank(setup) -> list[tuple[Award, ...]]:
    setup.finish(A1, B1, T1)
    return [line.awards for line in services.compute_results(setup.event)]


def input_tag(page: str, name: str, value: str | None = None) -> str:
    """The <input> named `name` (with `value`, for a radio or checkbox)."""
    for part in page.split("<input")[1:]:
        tag = part.split(">")[0]
        if f'name="{name}"' in tag and (value is None or f'value="{value}"' in tag):
            return tag
    raise AssertionError(f"no input {name}={value}")


def checked(page: str, name: str, value: str) -> bool:
    """Whether the radio or checkbox `name` with `value` is shown chosen."""
    return " checked" in input_tag(page, name, value)


def value_of(page: str, name: str) -> str:
    return input_tag(page, name).split('value="')[1].split('"')[0]


def field_errors(page: str, name: str) -> str:
    return " ".join(part.split("</p>")[0]
                    for part in page.split(f'<p class="error" id="{name}-error">')[1:])


def settings_audits() -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "competition.results_settings").order_by(AuditEntry.seq)))


# The page: presets, custom rules, minimums, title rules


def test_the_page_cites_each_preset_in_chinese_with_its_own_numbers(app, setup):
    page = text(browser(app, setup.organiser).get(url(setup)))
    for preset in AWARD_PRESETS.values():
        assert preset.citation in page
    for rule in TITLE_RULES.values():
        assert rule.citation in page
    assert "dgtatami.com" not in page and "acronyms.dizo.com.cn" not in page
    assert value_of(page, "award_fixed_counts_third") == "10"
    assert value_of(page, "award_guizhou_2023_excellence") == "0"
    assert value_of(page, "title_national_wuyi_top") == "1"
    assert checked(page, "award_scheme", "medals_half")  # the default
    chinese = text(browser(app, setup.organiser, lang=None).get(url(setup)))
    assert "自定义" in chinese and "其余达到最低总分的参赛者" in chinese


def test_a_preset_is_saved_with_its_own_numbers_and_shown_again(app, setup):
    page = save(app, setup, form(award_scheme="guizhou_2023",
                                 award_guizhou_2023_excellence="4",
                                 award_fixed_counts_first="x"))  # another preset's: ignored
    assert setup.competition.award_scheme == "guizhou_2023"
    assert stored(setup) == AWARD_PRESETS["guizhou_2023"].config(excellence=4)
    assert checked(page, "award_scheme", "guizhou_2023")
    assert value_of(page, "award_guizhou_2023_excellence") == "4"
    assert awards_by_rank(setup) == [(FIRST, GOLD), (SECOND, SILVER), (SECOND, BRONZE),
                                     (THIRD,)]


def test_custom_rules_are_saved_used_and_shown_again(app, setup):
    page = save(app, setup, custom(min_total_third_prize="78"))
    assert setup.competition.award_scheme == "custom"
    config = stored(setup)
    assert config.prize.counts == (1, 1, 1) and config.medal is not None
    assert config.excellence.min_total == D(76)
    assert config.min_totals == {THIRD: D(78)}
    # rank 3 (77.00) falls short of the third prize's 78 but keeps its bronze; rank 4
    # (76.00) reaches the 优胜奖's 76
    assert awards_by_rank(setup) == [(FIRST, GOLD), (SECOND, SILVER), (BRONZE,), (EXCELLENCE,)]
    assert checked(page, "award_scheme", "custom") and checked(page, "prize_scheme", "counts")
    assert checked(page, "medals", "y") and checked(page, "excellence", "min_total")
    assert value_of(page, "prize_count_second") == "1"
    assert value_of(page, "excellence_min_total") == "76"
    assert value_of(page, "min_total_third_prize") == "78"


def test_custom_shares_are_kept_as_exact_fractions(app, setup):
    page = save(app, setup, form(award_scheme="custom", prize_scheme="shares",
                                 prize_share_first="12.5", prize_share_second="25",
                                 prize_share_third="37.5", excellence="share",
                                 excellence_share="50"))
    config = stored(setup)
    assert config.prize.shares == (Fraction(1, 8), Fraction(1, 4), Fraction(3, 8))
    assert config.excellence.share == Fraction(1, 2) and config.medal is None
    assert setup.competition.award_config["prize"]["shares"] == ["1/8", "1/4", "3/8"]
    assert value_of(page, "prize_share_first") == "12.5"
    assert checked(page, "prize_scheme", "shares") and not checked(page, "medals", "y")
    # 4 entrants: cut-offs ceil(0.5), ceil(1), ceil(1.5) → places 1, 1, 2 (no second
    # prize); the 优胜奖 runs to place ceil(2), already inside the prizes: none
    assert awards_by_rank(setup) == [(FIRST,), (THIRD,), (), ()]


def test_with_medals_only_the_excellence_awards_follow_the_medals(app, setup):
    save(app, setup, form(award_scheme="custom", prize_scheme="none", medals="y",
                          excellence="places", excellence_places="1", excellence_by="prize"))
    config = stored(setup)
    assert config.prize is None and config.medal.excellence.places == 1
    assert awards_by_rank(setup) == [(GOLD,), (SILVER,), (BRONZE,), (EXCELLENCE,)]


def test_the_excellence_awards_follow_the_scheme_chosen_when_both_are_given(app, setup):
    save(app, setup, form(award_scheme="custom", prize_scheme="counts", prize_count_first="1",
                          prize_count_second="0", prize_count_third="0", medals="y",
                          excellence="places", excellence_places="1", excellence_by="medal"))
    config = stored(setup)
    assert config.prize.excellence is None and config.medal.excellence.places == 1
    assert awards_by_rank(setup) == [(FIRST, GOLD), (SILVER,), (BRONZE,), (EXCELLENCE,)]


def test_several_title_rules_are_saved_in_the_pages_order_with_their_numbers(app, setup):
    page = save(app, setup, form(title_rules=["city_ladder", "national_wuyi"],
                                 title_national_wuyi_top="3"))
    assert setup.competition.title_rules == [["national_wuyi", {"top": 3}],
                                             ["city_ladder", {}]]
    assert checked(page, "title_rules", "national_wuyi")
    assert checked(page, "title_rules", "city_ladder")
    assert not checked(page, "title_rules", "guizhou_2023")
    assert value_of(page, "title_national_wuyi_top") == "3"
    save(app, setup, form())
    assert setup.competition.title_rules == []


def test_a_minimum_total_may_be_added_to_a_preset(app, setup):
    save(app, setup, form(award_scheme="fixed_counts", award_fixed_counts_first="1",
                          award_fixed_counts_second="1", award_fixed_counts_third="1",
                          min_total_second_prize="80.5"))
    assert setup.competition.award_scheme == "fixed_counts"
    assert stored(setup).min_totals == {SECOND: D("80.5")}
    assert awards_by_rank(setup) == [(FIRST,), (), (THIRD,), ()]


@pytest.mark.parametrize("data, name, message", [
    (custom(prize_count_first=""), "prize_count_first", "This field is required."),
    (custom(prize_count_first="-1"), "prize_count_first", "Number must be between 0"),
    (custom(prize_count_first="１"), "prize_count_first", "Not a valid integer value."),
    (custom(prize_scheme="shares", prize_share_first="20", prize_share_second="10",
            prize_share_third="30"), "prize_share_second", "the shares are cumulative"),
    (custom(prize_scheme="shares", prize_share_first="10", prize_share_second="20",
            prize_share_third="100.5"), "prize_share_third", "Number must be between 0"),
    (custom(prize_scheme="none", medals=""), "prize_scheme", "Give prizes, medals or both."),
    (custom(prize_scheme="made_up"), "prize_scheme", "Not a valid choice"),
    (custom(excellence="places", excellence_places="0"), "excellence_places",
     "Number must be between 1"),
    (custom(excellence="share", excellence_share="abc"), "excellence_share",
     "Not a valid decimal value"),
    (custom(excellence_min_total="NaN"), "excellence_min_total", "Enter a number."),
    (custom(min_total_gold="60.555"), "min_total_gold", "At most two decimal places."),
    (custom(min_total_gold="100.01"), "min_total_gold", "Number must be between 0"),
    (custom(excellence="none", min_total_excellence="60"), "min_total_excellence",
     "These award rules give no such award."),
    (form(award_scheme="prizes_10_20_30", min_total_gold="60"), "min_total_gold",
     "These award rules give no such award."),
    (form(award_scheme="fixed_counts", award_fixed_counts_first=""),
     "award_fixed_counts_first", "This field is required."),
    (form(award_scheme="guizhou_2023", award_guizhou_2023_excellence="-2"),
     "award_guizhou_2023_excellence", "Number must be between 0"),
    (form(award_scheme="made_up"), "award_scheme", "Not a valid choice"),
    (form(title_rules="national_wuyi", title_national_wuyi_top="0"), "title_national_wuyi_top",
     "Number must be between 1"),
    (form(title_rules="made_up"), "title_rules", "not a valid choice"),
])
def test_bad_values_are_refused_beside_their_field_and_nothing_is_saved(app, setup, data,
                                                                         name, message):
    before = (setup.competition.award_scheme, setup.competition.award_config,
              setup.competition.title_rules)
    response = browser(app, setup.organiser).post(url(setup), data=data)
    assert response.status_code == 200
    assert message in field_errors(text(response), name)
    db.session.expire_all()
    assert (setup.competition.award_scheme, setup.competition.award_config,
            setup.competition.title_rules) == before
    assert settings_audits() == []


def test_a_change_is_audited_with_the_settings_before_and_after(app, setup):
    save(app, setup, custom(title_rules="guizhou_2023"))
    [entry] = settings_audits()
    before, after = json.loads(entry.before), json.loads(entry.after)
    assert before["award_scheme"] == "medals_half" and after["award_scheme"] == "custom"
    assert AwardConfig.from_json(after["award_config"]) == stored(setup)
    assert before["title_rules"] == [] and after["title_rules"] == [["guizhou_2023", {}]]
    save(app, setup, custom(title_rules="guizhou_2023"))  # no change: nothing recorded
    assert len(settings_audits()) == 1


def test_the_settings_cannot_change_once_results_are_public(app, setup):
    published(setup)
    client = browser(app, setup.organiser)
    response = client.post(url(setup), data=custom(title_rules="guizhou_2023"))
    assert "can no longer change" in text(response)
    db.session.expire_all()
    assert setup.competition.award_scheme == "medals_half"
    assert setup.competition.title_rules == [] and settings_audits() == []
    with pytest.raises(lifecycle.ResultsRefused):
        settings.save_results_settings(setup.organiser, setup.competition,
                                       **values(setup, award_scheme="custom"))


@pytest.mark.parametrize("role, allowed", [
    ("organiser", True), ("admin", True), ("outsider", False), ("officer", False),
    ("arbitrator", False), ("chief", False), ("judge", False), ("worker", False)])
def test_only_the_organisers_and_admins_change_the_settings(app, setup, role, allowed):
    response = browser(app, user_for(setup, role)).post(url(setup), data=custom())
    assert response.status_code == (302 if allowed else 403)
    db.session.expire_all()
    assert (setup.competition.award_scheme == "custom") is allowed


# The service, as every interface calls it


def values(setup, **overrides) -> dict:
    current = {name: getattr(setup.competition, name) for name in settings.SETTINGS}
    return current | overrides


@pytest.mark.parametrize("overrides", [
    {"award_scheme": "fixed_counts"},  # the medals_half config is not a fixed_counts one
    {"award_scheme": "guizhou_2023",
     "award_config": AWARD_PRESETS["fixed_counts"].config().to_json()},
    {"award_config": {"prize": None, "medal": None, "min_totals": {}}},
    {"award_config": {"medal": {"excellence": {"share": 0.5}}}},  # a float share
    {"award_config": {"medal": {}, "min_totals": {"first_prize": "60"}}},
    {"award_config": "medals"},
])
def test_the_service_refuses_award_rules_it_cannot_keep(setup, overrides):
    with pytest.raises(lifecycle.ResultsRefused) as refused:
        settings.save_results_settings(setup.organiser, setup.competition,
                                       **values(setup, **overrides))
    assert refused.value.field == "award_config"


def test_the_service_keeps_a_presets_config_with_minimum_totals(setup):
    config = AwardConfig(prize=AWARD_PRESETS["guizhou_2023"].config(excellence=2).prize,
                         medal=AWARD_PRESETS["guizhou_2023"].config().medal,
                         min_totals={GOLD: D(90)})
    settings.save_results_settings(setup.organiser, setup.competition, **values(
        setup, award_scheme="guizhou_2023", award_config=config.to_json()))
    assert AwardConfig.from_json(setup.competition.award_config) == config
    assert settings.preset_options("guizhou_2023", config) == {"excellence": 2}


@pytest.mark.parametrize("rules", [
    [["made_up", {}]],
    [["city_ladder", {}], ["city_ladder", {}]],
    [["national_wuyi", {"top": 0}]],
    [["national_wuyi", {"top": "2"}]],
    [["national_wuyi", {"top": True}]],
    [["city_ladder", {"top": 2}]],
    [["city_ladder"]],
    ["city_ladder"],
])
def test_the_service_refuses_title_rules_it_cannot_apply(setup, rules):
    with pytest.raises(lifecycle.ResultsRefused) as refused:
        settings.save_results_settings(setup.organiser, setup.competition,
                                       **values(setup, title_rules=rules))
    assert refused.value.field == "title_rules"
    assert setup.competition.title_rules == []


def test_the_service_refuses_those_who_do_not_organise_the_competition(setup):
    with pytest.raises(PermissionDenied):
        settings.save_results_settings(setup.chief, setup.competition,
                                       **values(setup, award_scheme="prizes_10_20_30"))


# The titles the chosen rules recommend at finalisation


def finalised_titles(setup, title_rules) -> dict[int, dict[HonourTitle, str]]:
    """Finalise under guizhou_2023's awards and `title_rules`: each worker's titles and the
    rule that recommended each."""
    guizhou = AWARD_PRESETS["guizhou_2023"].config().to_json()
    settings.save_results_settings(setup.organiser, setup.competition, **values(
        setup, award_scheme="guizhou_2023", award_config=guizhou, title_rules=title_rules))
    now = utcnow()
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    lifecycle.publish(setup.organiser, setup.event, now=now)
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    found: dict[int, dict[HonourTitle, str]] = {}
    for award in db.session.scalars(sa.select(TitleAward)):
        found.setdefault(award.worker_id, {})[award.title] = award.rule
    return found


def worker(setup, rank: int) -> int:
    return setup.workers[BY_RANK[rank - 1]].id


def test_guizhou_2023_recommends_the_top_three_and_the_first_prize_of_an_employee_event(setup):
    titles = finalised_titles(setup, [["guizhou_2023", {}]])
    provincial, medal = HonourTitle.PROVINCIAL_TECHNICAL_EXPERT, \
        HonourTitle.PROVINCIAL_MAY_DAY_MEDAL
    assert titles == {worker(setup, 1): {provincial: "guizhou_2023", medal: "guizhou_2023"},
                      worker(setup, 2): {provincial: "guizhou_2023"},
                      worker(setup, 3): {provincial: "guizhou_2023"}}


def test_guizhou_2023_recommends_no_may_day_medal_in_a_student_event(setup):
    setup.event.group = EventGroup.STUDENT
    titles = finalised_titles(setup, [["guizhou_2023", {}]])
    provincial = HonourTitle.PROVINCIAL_TECHNICAL_EXPERT
    assert titles == {worker(setup, rank): {provincial: "guizhou_2023"} for rank in (1, 2, 3)}


def test_a_title_an_earlier_rule_gave_is_not_given_again_by_a_later_one(setup):
    setup.competition.competition_class = CompetitionClass.CLASS_1  # provincial: top 5
    titles = finalised_titles(setup, [["guizhou_2023", {}], ["provincial_nengshou", {}],
                                      ["provincial_wuyi", {}]])
    provincial, medal = HonourTitle.PROVINCIAL_TECHNICAL_EXPERT, \
        HonourTitle.PROVINCIAL_MAY_DAY_MEDAL
    assert titles[worker(setup, 1)] == {provincial: "guizhou_2023", medal: "guizhou_2023"}
    assert titles[worker(setup, 3)] == {provincial: "guizhou_2023"}
    assert titles[worker(setup, 4)] == {provincial: "provincial_nengshou"}
    assert db.session.scalar(sa.select(sa.func.count(TitleAward.id))) == 5
