"""Marking schemes: weights total 100 %, panels for judgement, copying, and the lock."""

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.audit.models import AuditEntry
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.judging import services
from competitions.judging.models import Aggregation, ComponentKind, CriterionKind, MarkingScheme
from tests.factories import make_competition, make_event, make_organiser, make_user


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
