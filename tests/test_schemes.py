"""Marking schemes: weights total 100 %, panels for judgement, copying, and the lock."""

import json
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.audit.models import AuditEntry
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.judging import services
from competitions.judging.models import (
    Aggregation,
    ComponentKind,
    Criterion,
    CriterionKind,
    Mark,
    MarkingScheme,
    PanelSeat,
    ScoreSheet,
)
from tests.factories import (
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)


@pytest.fixture
def setup(tree):
    organiser = make_organiser(tree.city)
    competition = make_competition(tree.city)
    event = make_event(competition)
    return organiser, event


def build(actor, event):
    scheme = services.scheme_for(actor, event)
    theory = services.add_component(actor, scheme, name="理论", kind=ComponentKind.THEORY,
                                    weight=D(30))
    practical = services.add_component(actor, scheme, name="实操",
                                       kind=ComponentKind.PRACTICAL, weight=D(70))
    services.add_criterion(actor, theory, code="T1", description="理论考试", max_mark=D(100),
                           kind=CriterionKind.MEASUREMENT, step=D(1))
    services.add_criterion(actor, practical, code="A1", description="焊缝外观",
                           max_mark=D(20), kind=CriterionKind.JUDGEMENT, panel_size=5,
                           aggregation=Aggregation.TRIMMED_MEAN)
    return scheme


def test_a_complete_scheme_has_no_problems_and_keeps_decimals(setup):
    organiser, event = setup
    scheme = build(organiser, event)
    db.session.commit()
    db.session.expire_all()
    scheme = db.session.scalar(sa.select(MarkingScheme))
    assert services.problems(scheme) == []
    weights = [c.weight for c in scheme.components]
    assert weights == [D(30), D(70)] and all(isinstance(w, D) for w in weights)
    assert scheme.components[1].criteria[0].max_mark == D(20)


def test_weights_above_100_are_refused(setup):
    organiser, event = setup
    scheme = services.scheme_for(organiser, event)
    services.add_component(organiser, scheme, name="理论", kind=ComponentKind.THEORY,
                           weight=D(40))
    with pytest.raises(services.SchemeError) as refused:
        services.add_component(organiser, scheme, name="实操", kind=ComponentKind.PRACTICAL,
                               weight=D(70))
    assert refused.value.field == "weight"


def test_an_incomplete_scheme_cannot_be_locked(setup):
    organiser, event = setup
    scheme = services.scheme_for(organiser, event)
    services.add_component(organiser, scheme, name="实操", kind=ComponentKind.PRACTICAL,
                           weight=D(70))
    assert len(services.problems(scheme)) == 2  # weights 70 %, and no criteria
    with pytest.raises(services.SchemeError):
        services.lock(organiser, scheme)
    assert scheme.locked_at is None


def test_judgement_needs_a_panel_and_marks_a_multiple_of_the_step(setup):
    organiser, event = setup
    scheme = services.scheme_for(organiser, event)
    component = services.add_component(organiser, scheme, name="实操",
                                       kind=ComponentKind.PRACTICAL, weight=D(100))
    with pytest.raises(services.SchemeError) as refused:
        services.add_criterion(organiser, component, code="A1", description="外观",
                               max_mark=D(10), kind=CriterionKind.JUDGEMENT, panel_size=2)
    assert refused.value.field == "panel_size"
    with pytest.raises(services.SchemeError) as refused:
        services.add_criterion(organiser, component, code="A1", description="外观",
                               max_mark=D("10.3"), kind=CriterionKind.MEASUREMENT)
    assert refused.value.field == "max_mark"


def test_a_locked_scheme_refuses_changes(setup):
    organiser, event = setup
    scheme = build(organiser, event)
    services.lock(organiser, scheme)
    with pytest.raises(services.SchemeError):
        services.add_component(organiser, scheme, name="答辩", kind=ComponentKind.OTHER,
                               weight=D(1))
    db.session.commit()  # audit entries join their chains at commit
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[0] == "scheme.create" and actions[-1] == "scheme.lock"


def test_a_scheme_is_copied_to_another_event(setup):
    organiser, event = setup
    source = build(organiser, event)
    other = make_event(event.competition, "电工")
    copy = services.copy_scheme(organiser, source, other)
    assert copy.event is other and copy is not source
    assert [(c.name, c.weight, [k.code for k in c.criteria]) for c in copy.components] == \
        [("理论", D(30), ["T1"]), ("实操", D(70), ["A1"])]
    with pytest.raises(services.SchemeError):
        services.copy_scheme(organiser, source, other)


def test_the_chief_judge_edits_but_other_organisers_and_judges_do_not(setup, tree):
    organiser, event = setup
    chief = make_user("chief")
    judge = make_user("judge")
    db.session.add_all([RoleGrant(user=chief, role=Role.CHIEF_JUDGE, event_id=event.id),
                        RoleGrant(user=judge, role=Role.JUDGE, event_id=event.id)])
    db.session.flush()
    assert services.scheme_for(chief, event).event is event
    for outsider in (judge, make_organiser(tree.other_city)):
        with pytest.raises(PermissionDenied):
            services.add_component(outsider, services.scheme_for(chief, event), name="理论",
                                   kind=ComponentKind.THEORY, weight=D(30))


# Editing, removing, clearing and the spread threshold.

def audit_actions() -> list[str]:
    db.session.commit()  # audit entries join their chains at commit
    return db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)).all()


def test_a_component_is_renamed_and_reweighted_within_100(setup):
    organiser, event = setup
    scheme = build(organiser, event)
    theory, practical = scheme.components
    with pytest.raises(services.SchemeError) as refused:
        services.update_component(organiser, theory, name="理论", weight=D(31))
    assert refused.value.field == "weight" and theory.weight == D(30)
    services.update_component(organiser, practical, name="实际操作", weight=D(60))
    services.update_component(organiser, theory, name=" 理论知识 ", weight=D(40))
    assert [(c.name, c.weight) for c in scheme.components] == [("理论知识", D(40)),
                                                               ("实际操作", D(60))]
    db.session.commit()  # audit entries join their chains at commit
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "scheme.component_update"
    assert json.loads(entry.before) == {"name": "理论", "weight": "30"}
    assert json.loads(entry.after) == {"name": "理论知识", "weight": "40"}


def test_weights_maxima_and_steps_keep_at_most_two_places(setup):
    organiser, event = setup
    scheme = services.scheme_for(organiser, event)
    with pytest.raises(services.SchemeError) as refused:
        services.add_component(organiser, scheme, name="理论", kind=ComponentKind.THEORY,
                               weight=D("33.333"))
    assert refused.value.field == "weight"
    component = services.add_component(organiser, scheme, name="实操",
                                       kind=ComponentKind.PRACTICAL, weight=D(100))
    with pytest.raises(services.SchemeError) as refused:
        services.add_criterion(organiser, component, code="A1", description="外观",
                               max_mark=D(10), step=D("0.125"), kind=CriterionKind.MEASUREMENT)
    assert refused.value.field == "step"


def test_removing_a_component_takes_its_criteria_and_closes_the_gap(setup):
    organiser, event = setup
    scheme = build(organiser, event)
    services.update_component(organiser, scheme.components[1], name="实操", weight=D(60))
    defence = services.add_component(organiser, scheme, name="答辩", kind=ComponentKind.OTHER,
                                     weight=D(10))
    theory = scheme.components[0]
    services.remove_component(organiser, theory)
    db.session.commit()
    db.session.expire_all()
    scheme = db.session.scalar(sa.select(MarkingScheme))
    assert [(c.name, c.position) for c in scheme.components] == [("实操", 0), ("答辩", 1)]
    assert db.session.scalar(sa.select(sa.func.count(Criterion.id))) == 1
    assert defence.id == scheme.components[1].id
    assert audit_actions()[-1] == "scheme.component_remove"


def test_a_criterion_is_updated_under_the_same_rules_as_a_new_one(setup):
    organiser, event = setup
    scheme = build(organiser, event)
    practical = scheme.components[1]
    a1 = practical.criteria[0]
    a2 = services.add_criterion(organiser, practical, code="A2", description="尺寸",
                                max_mark=D(10), kind=CriterionKind.JUDGEMENT, panel_size=3)
    values = {"code": "A2", "description": "尺寸", "max_mark": D(10), "step": D("0.5"),
              "kind": CriterionKind.JUDGEMENT, "panel_size": 3,
              "aggregation": Aggregation.MEDIAN}
    for change, field in (({"code": "A1"}, "code"), ({"panel_size": 2}, "panel_size"),
                          ({"max_mark": D("10.2")}, "max_mark")):
        with pytest.raises(services.SchemeError) as refused:
            services.update_criterion(organiser, a2, **{**values, **change})
        assert refused.value.field == field
    services.update_criterion(organiser, a2, **values)  # keeping its own code is fine
    assert (a2.aggregation, a2.panel_size) == (Aggregation.MEDIAN, 3)
    services.update_criterion(organiser, a1, **{**values, "code": "A1", "panel_size": 5,
                                                 "kind": CriterionKind.IMPORTED})
    assert (a1.kind, a1.panel_size) == (CriterionKind.IMPORTED, 1)
    db.session.commit()  # audit entries join their chains at commit
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "scheme.criterion_update"
    assert (json.loads(entry.before)["kind"], json.loads(entry.after)["kind"]) == \
        ("judgement", "imported")


def test_removing_a_criterion_frees_its_panel_but_is_refused_once_marked(setup, tree):
    organiser, event = setup
    scheme = build(organiser, event)
    practical = scheme.components[1]
    judged = practical.criteria[0]
    extra = services.add_criterion(organiser, practical, code="A2", description="尺寸",
                                   max_mark=D(10), kind=CriterionKind.MEASUREMENT)
    judge = make_user("judge")
    db.session.add(PanelSeat(criterion=judged, judge=judge))
    entry = make_entry(event, make_worker(tree.firm))
    db.session.add(ScoreSheet(event_id=event.id, entry_id=entry.id, judge_id=judge.id,
                              marks=[Mark(criterion_id=extra.id, value=D(5))]))
    db.session.flush()

    with pytest.raises(services.SchemeError):
        services.remove_criterion(organiser, extra)
    with pytest.raises(services.SchemeError):
        services.clear_scheme(organiser, scheme)
    services.remove_criterion(organiser, judged)
    db.session.commit()
    assert [c.code for c in practical.criteria] == ["A2"] and extra.position == 0
    assert db.session.scalar(sa.select(sa.func.count(PanelSeat.id))) == 0
    assert audit_actions()[-1] == "scheme.criterion_remove"


@pytest.mark.parametrize("threshold", [D(0), D(101), D("12.345")])
def test_the_spread_threshold_is_a_percentage_with_two_places(setup, threshold):
    organiser, event = setup
    scheme = services.scheme_for(organiser, event)
    assert scheme.spread_threshold == D(20)
    with pytest.raises(services.SchemeError) as refused:
        services.set_spread_threshold(organiser, scheme, threshold)
    assert refused.value.field == "spread_threshold"
    services.set_spread_threshold(organiser, scheme, D("12.5"))
    assert scheme.spread_threshold == D("12.5")
    assert audit_actions()[-1] == "scheme.spread_threshold"


def test_a_cleared_scheme_takes_a_copy_with_its_spread_threshold(setup):
    organiser, event = setup
    source = build(organiser, event)
    services.set_spread_threshold(organiser, source, D(15))
    other = make_event(event.competition, "电工")
    target = services.scheme_for(organiser, other)
    services.add_component(organiser, target, name="旧", kind=ComponentKind.OTHER,
                           weight=D(10))
    services.clear_scheme(organiser, target)
    assert target.components == [] and audit_actions()[-1] == "scheme.clear"
    copy = services.copy_scheme(organiser, source, other)
    assert copy.spread_threshold == D(15) and len(copy.components) == 2


def _new_changes(scheme):
    theory = scheme.components[0]
    criterion = theory.criteria[0]
    return {
        "update_component": lambda actor: services.update_component(
            actor, theory, name="理论", weight=D(30)),
        "remove_component": lambda actor: services.remove_component(actor, theory),
        "update_criterion": lambda actor: services.update_criterion(
            actor, criterion, code="T1", description="理论", max_mark=D(100), step=D(1),
            kind=CriterionKind.MEASUREMENT, panel_size=1, aggregation=Aggregation.MEAN),
        "remove_criterion": lambda actor: services.remove_criterion(actor, criterion),
        "set_spread_threshold": lambda actor: services.set_spread_threshold(actor, scheme,
                                                                           D(10)),
        "clear_scheme": lambda actor: services.clear_scheme(actor, scheme),
    }


@pytest.mark.parametrize("change", ["update_component", "remove_component", "update_criterion",
                                    "remove_criterion", "set_spread_threshold", "clear_scheme"])
def test_the_new_changes_are_refused_when_locked_or_to_outsiders(setup, tree, change):
    organiser, event = setup
    scheme = build(organiser, event)
    outsider = make_organiser(tree.other_city)
    with pytest.raises(PermissionDenied):
        _new_changes(scheme)[change](outsider)
    services.lock(organiser, scheme)
    with pytest.raises(services.SchemeError):
        _new_changes(scheme)[change](organiser)
    assert len(scheme.components) == 2 and scheme.spread_threshold == D(20)
    assert audit_actions()[-1] == "scheme.lock"


def test_copying_needs_the_right_to_edit_the_source(setup, tree):
    organiser, event = setup
    elsewhere = make_event(make_competition(tree.other_city, name="苏州市大赛"))
    source = build(make_organiser(tree.other_city), elsewhere)
    with pytest.raises(PermissionDenied):
        services.copy_scheme(organiser, source, event)


def test_copy_sources_are_the_editable_non_empty_schemes_by_competition_then_event(setup, tree):
    organiser, event = setup
    build(organiser, event)  # 焊工, 2026年南京市…
    older = make_competition(tree.city, name="2025年南京市职工职业技能大赛",
                             starts_on=date(2025, 3, 1))
    older_events = [make_event(older, name) for name in ("钳工", "电工")]
    for older_event in older_events:
        build(organiser, older_event)
    services.scheme_for(organiser, make_event(event.competition, "车工"))  # empty: not offered
    build(make_organiser(tree.other_city),
          make_event(make_competition(tree.other_city, name="苏州市大赛")))
    target = make_event(event.competition, "电工")

    sources = services.copy_sources(organiser, target)
    assert [(e.competition.year, e.occupation.name) for e in sources] == [
        (2027, "焊工"), (2025, "电工"), (2025, "钳工")]
    assert len(services.copy_sources(organiser, target, limit=2)) == 2
    assert services.copy_sources(organiser, event) == sources[1:]

    chief = make_user("chief")
    db.session.add(RoleGrant(user=chief, role=Role.CHIEF_JUDGE, event_id=older_events[0].id))
    db.session.flush()
    assert services.copy_sources(chief, target) == [older_events[0]]


def test_criterion_codes_are_unique_across_the_scheme(setup):
    organiser, event = setup
    scheme = build(organiser, event)
    theory = scheme.components[0]
    with pytest.raises(services.SchemeError) as refused:
        services.add_criterion(organiser, theory, code="A1", description="重复编号",
                               max_mark=D(10), kind=CriterionKind.MEASUREMENT)
    assert refused.value.field == "code"
