"""The marking-scheme pages: who may build a scheme, field-named refusals, copy, remove, lock."""

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.accounts.services import find_user_by_username
from competitions.extensions import db
from competitions.judging import services
from competitions.judging.models import (
    Aggregation,
    Component,
    ComponentKind,
    Criterion,
    CriterionKind,
    MarkingScheme,
)
from tests.factories import (
    make_competition,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)

LOCKED = "评分已经开始，评分细则已锁定。"


@pytest.fixture
def event(tree):
    make_organiser(tree.city, "organiser")
    event = make_event(make_competition(tree.city))
    db.session.commit()
    return event


@pytest.fixture
def organiser(event):
    return find_user_by_username("organiser")


def scheme_url(event) -> str:
    return f"/judging/events/{event.id}/scheme"


def add_component(client, event, name, kind, weight):
    return client.post(f"{scheme_url(event)}/components", data={
        "component-name": name, "component-kind": kind, "component-weight": weight})


def criterion_data(prefix, *, code="A1", description="焊缝外观", max_mark="20", step="0.5",
                   kind="judgement", panel_size="3", aggregation="mean") -> dict:
    values = {"code": code, "description": description, "max_mark": max_mark, "step": step,
              "kind": kind, "panel_size": panel_size, "aggregation": aggregation}
    return {f"{prefix}-{name}": value for name, value in values.items()}


def add_criterion(client, component_id, **values):
    return client.post(f"/judging/components/{component_id}/criteria",
                       data=criterion_data(f"new{component_id}", **values))


def current_scheme(event) -> MarkingScheme | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(MarkingScheme).where(MarkingScheme.event_id == event.id))


def build(actor, event) -> MarkingScheme:
    """Theory 30 % (T1, measured) and practical 70 % (A1, judged by five)."""
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
    db.session.commit()
    return scheme


def test_the_organiser_builds_a_complete_scheme_through_the_pages(client, event, organiser,
                                                                   login_as):
    login_as(organiser)
    page = client.get(scheme_url(event))
    assert page.status_code == 200
    assert current_scheme(event) is None  # looking creates nothing

    for name, kind, weight in (("理论知识", "theory", "30"), ("实际操作", "practical", "70")):
        response = add_component(client, event, name, kind, weight)
        assert response.status_code == 302
        assert response.headers["Location"].startswith(scheme_url(event))
    theory, practical = current_scheme(event).components
    assert add_criterion(client, theory.id, code="T1", description="理论考试", max_mark="100",
                         step="1", kind="measurement", panel_size="1").status_code == 302
    assert add_criterion(client, practical.id, code="A1", max_mark="20", step="0.5",
                         panel_size="5", aggregation="trimmed_mean").status_code == 302

    scheme = current_scheme(event)
    assert services.problems(scheme) == []
    assert [(c.name, c.kind, c.weight) for c in scheme.components] == [
        ("理论知识", ComponentKind.THEORY, D(30)), ("实际操作", ComponentKind.PRACTICAL, D(70))]
    judged = scheme.components[1].criteria[0]
    assert (judged.code, judged.max_mark, judged.step, judged.kind, judged.panel_size,
            judged.aggregation) == ("A1", D(20), D("0.5"), CriterionKind.JUDGEMENT, 5,
                                    Aggregation.TRIMMED_MEAN)
    assert isinstance(judged.max_mark, D)

    html = client.get(scheme_url(event)).get_data(as_text=True)
    assert 'data-testid="scheme-problems"' not in html
    assert 'data-testid="total-weight">100%' in html
    assert "理论考试" in html and "评价（裁判组）" in html


def test_a_weight_past_100_is_refused_beside_the_weight_field(client, event, organiser,
                                                               login_as):
    login_as(organiser)
    add_component(client, event, "理论", "theory", "40")
    response = add_component(client, event, "实操", "practical", "70")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="component-weight-error">权重合计将为 110%，必须合计 100%。' in html
    assert [c.name for c in current_scheme(event).components] == ["理论"]


@pytest.mark.parametrize("values, field, message", [
    ({"max_mark": "10.3", "step": "0.5"}, "max_mark", "满分必须是评分步长的正整数倍。"),
    ({"kind": "judgement", "panel_size": "2"}, "panel_size", "评价类评分项至少需要 3 名裁判。"),
])
def test_a_criterion_breaking_a_rule_is_refused_naming_the_field(client, event, organiser,
                                                                  login_as, values, field,
                                                                  message):
    login_as(organiser)
    add_component(client, event, "实操", "practical", "100")
    component = current_scheme(event).components[0]
    response = add_criterion(client, component.id, **values)
    assert response.status_code == 200
    assert f'id="new{component.id}-{field}-error">{message}' in response.get_data(as_text=True)
    assert current_scheme(event).components[0].criteria == []


def test_bad_numbers_are_refused_by_the_form_without_an_error_page(client, event, organiser,
                                                                    login_as):
    login_as(organiser)
    for weight in ("NaN", "abc", "", "33.333"):
        response = add_component(client, event, "实操", "practical", weight)
        assert response.status_code == 200, weight
        assert 'id="component-weight-error"' in response.get_data(as_text=True), weight
    assert current_scheme(event) is None


def test_the_chief_judge_of_the_event_builds_the_scheme(client, event, login_as):
    chief = make_user("chief")
    db.session.add(RoleGrant(user=chief, role=Role.CHIEF_JUDGE, event_id=event.id))
    db.session.commit()
    login_as(chief)
    assert client.get(scheme_url(event)).status_code == 200
    assert add_component(client, event, "实操", "practical", "100").status_code == 302
    assert [c.name for c in current_scheme(event).components] == ["实操"]


def _judge(event, tree):
    judge = make_user("judge")
    db.session.add(RoleGrant(user=judge, role=Role.JUDGE, event_id=event.id))
    return judge


def _chief_elsewhere(event, tree):
    chief = make_user("chief_elsewhere")
    other = make_event(event.competition, "电工")
    db.session.add(RoleGrant(user=chief, role=Role.CHIEF_JUDGE, event_id=other.id))
    return chief


def _worker(event, tree):
    user = make_user("zhangsan")
    make_worker(tree.firm, user=user)
    return user


@pytest.mark.parametrize("make_outsider", [
    _judge, _chief_elsewhere, _worker,
    lambda event, tree: make_organiser(tree.other_city, "suzhou_organiser"),
], ids=["judge", "chief-judge-of-another-event", "worker", "other-competitions-organiser"])
def test_others_may_neither_see_nor_change_the_scheme(client, event, organiser, tree, login_as,
                                                      make_outsider):
    scheme = build(organiser, event)
    component = scheme.components[1]
    criterion = component.criteria[0]
    outsider = make_outsider(event, tree)
    db.session.commit()
    login_as(outsider)
    assert client.get(scheme_url(event)).status_code == 403
    posts = [f"{scheme_url(event)}/components", f"{scheme_url(event)}/spread-threshold",
             f"{scheme_url(event)}/copy", f"{scheme_url(event)}/clear",
             f"/judging/components/{component.id}/update",
             f"/judging/components/{component.id}/remove",
             f"/judging/components/{component.id}/criteria",
             f"/judging/criteria/{criterion.id}/update",
             f"/judging/criteria/{criterion.id}/remove"]
    for url in posts:
        assert client.post(url, data={}).status_code == 403, url
    assert len(current_scheme(event).components) == 2


def test_unknown_ids_are_not_found(client, event, organiser, login_as):
    login_as(organiser)
    assert client.get("/judging/events/99999/scheme").status_code == 404
    for url in ("/judging/events/99999/scheme/components", "/judging/components/99999/remove",
                "/judging/components/99999/criteria", "/judging/criteria/99999/update",
                "/judging/criteria/99999/remove"):
        assert client.post(url, data={}).status_code == 404, url


def test_anonymous_visitors_are_sent_to_log_in(client, event):
    response = client.get(scheme_url(event))
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]


def test_a_locked_scheme_is_read_only_and_refuses_every_change(client, event, organiser,
                                                               login_as):
    scheme = build(organiser, event)
    theory, practical = scheme.components
    criterion = practical.criteria[0]
    services.lock(organiser, scheme)
    db.session.commit()
    login_as(organiser)

    html = client.get(scheme_url(event)).get_data(as_text=True)
    assert 'data-testid="scheme-status"' in html and 'class="badge warn"' in html
    assert 'data-testid="add-component"' not in html and 'data-testid="add-criterion"' not in html
    assert "/remove" not in html and "焊缝外观" in html

    attempts = [
        (f"{scheme_url(event)}/components",
         {"component-name": "答辩", "component-kind": "other", "component-weight": "1"}),
        (f"{scheme_url(event)}/spread-threshold", {"threshold-spread_threshold": "10"}),
        (f"{scheme_url(event)}/clear", {}),
        (f"/judging/components/{theory.id}/update",
         {f"component{theory.id}-name": "理论", f"component{theory.id}-weight": "30"}),
        (f"/judging/components/{theory.id}/remove", {}),
        (f"/judging/components/{theory.id}/criteria", criterion_data(f"new{theory.id}")),
        (f"/judging/criteria/{criterion.id}/update",
         criterion_data(f"criterion{criterion.id}", panel_size="5")),
        (f"/judging/criteria/{criterion.id}/remove", {}),
    ]
    for url, data in attempts:
        response = client.post(url, data=data, follow_redirects=True)
        assert LOCKED in response.get_data(as_text=True), url
    scheme = current_scheme(event)
    assert [(c.name, c.weight, [k.code for k in c.criteria]) for c in scheme.components] == \
        [("理论", D(30), ["T1"]), ("实操", D(70), ["A1"])]
    assert scheme.spread_threshold == D(20)


def test_a_scheme_is_copied_from_another_event(client, event, organiser, tree, login_as):
    build(organiser, event)
    target = make_event(event.competition, "电工")
    elsewhere = make_event(make_competition(tree.other_city, name="苏州市大赛"), "钳工")
    build(make_organiser(tree.other_city), elsewhere)
    db.session.commit()
    login_as(organiser)

    html = client.get(scheme_url(target)).get_data(as_text=True)
    assert f'<option value="{event.id}">' in html
    assert f'<option value="{elsewhere.id}">' not in html  # not this organiser's to edit
    refused = client.post(f"{scheme_url(target)}/copy", data={"copy-source_event_id": elsewhere.id})
    assert refused.status_code == 200 and current_scheme(target) is None

    response = client.post(f"{scheme_url(target)}/copy", data={"copy-source_event_id": event.id})
    assert response.status_code == 302
    copied = current_scheme(target)
    assert [(c.name, c.weight, [k.code for k in c.criteria]) for c in copied.components] == \
        [("理论", D(30), ["T1"]), ("实操", D(70), ["A1"])]
    assert copied.id != current_scheme(event).id

    html = client.get(scheme_url(target)).get_data(as_text=True)
    assert f"{scheme_url(target)}/copy" not in html  # a full scheme offers clearing instead
    assert client.post(f"{scheme_url(target)}/clear").status_code == 302
    assert current_scheme(target).components == []


def test_components_and_criteria_are_edited_and_removed(client, event, organiser, login_as):
    scheme = build(organiser, event)
    theory, practical = scheme.components
    criterion = practical.criteria[0]
    login_as(organiser)

    edit = client.get(f"{scheme_url(event)}?criterion={criterion.id}").get_data(as_text=True)
    assert f'name="criterion{criterion.id}-code"' in edit and 'value="A1"' in edit
    response = client.post(f"/judging/criteria/{criterion.id}/update", data=criterion_data(
        f"criterion{criterion.id}", code="A2", description="焊缝尺寸", max_mark="15",
        step="0.5", panel_size="5", aggregation="median"))
    assert response.status_code == 302
    changed = db.session.get(Criterion, criterion.id)
    db.session.refresh(changed)
    assert (changed.code, changed.description, changed.max_mark, changed.aggregation) == \
        ("A2", "焊缝尺寸", D(15), Aggregation.MEDIAN)

    over = client.post(f"/judging/components/{theory.id}/update", data={
        f"component{theory.id}-name": "理论", f"component{theory.id}-weight": "31"})
    assert f'id="component{theory.id}-weight-error"' in over.get_data(as_text=True)
    client.post(f"/judging/components/{practical.id}/update", data={
        f"component{practical.id}-name": "实际操作", f"component{practical.id}-weight": "60"})
    client.post(f"/judging/components/{theory.id}/update", data={
        f"component{theory.id}-name": "理论", f"component{theory.id}-weight": "40"})
    assert [(c.name, c.weight) for c in current_scheme(event).components] == \
        [("理论", D(40)), ("实际操作", D(60))]

    assert client.post(f"/judging/criteria/{criterion.id}/remove").status_code == 302
    assert current_scheme(event).components[1].criteria == []
    assert client.post(f"/judging/components/{theory.id}/remove").status_code == 302
    remaining = current_scheme(event).components
    assert [(c.name, c.position) for c in remaining] == [("实际操作", 0)]
    assert db.session.get(Component, theory.id) is None


def test_the_spread_threshold_is_set_on_the_page(client, event, organiser, login_as):
    login_as(organiser)
    url = f"{scheme_url(event)}/spread-threshold"
    assert client.post(url, data={"threshold-spread_threshold": "15"}).status_code == 302
    assert current_scheme(event).spread_threshold == D(15)
    refused = client.post(url, data={"threshold-spread_threshold": "0"})
    assert 'id="threshold-spread_threshold-error"' in refused.get_data(as_text=True)
    assert current_scheme(event).spread_threshold == D(15)


def test_the_page_is_chinese_by_default_and_english_on_request(client, event, organiser,
                                                               login_as):
    build(organiser, event)
    login_as(organiser)
    html = client.get(scheme_url(event)).get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "测量（一名裁判）" in html
    client.set_cookie("lang", "en")
    html = client.get(scheme_url(event)).get_data(as_text=True)
    assert "Measurement (one judge)" in html and "Marking scheme" in html
