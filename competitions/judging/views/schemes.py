"""Marking-scheme pages: the chief judge or the organisers build an event's scheme."""

from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.contests.models import Event
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import apply_error
from competitions.judging import services
from competitions.judging.blueprint import bp
from competitions.judging.forms import (
    ComponentEditForm,
    ComponentForm,
    ConfirmForm,
    CopySchemeForm,
    CriterionForm,
    SpreadThresholdForm,
)
from competitions.judging.models import Component, Criterion, MarkingScheme

CRITERION_FIELDS = ("code", "description", "max_mark", "step", "kind", "panel_size",
                    "aggregation")


def _editable_event(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not services.can_edit_scheme(current_user, event):
        abort(403)
    return event


def _component(component_id) -> Component:
    component = db.get_or_404(Component, component_id)
    _editable_event(component.scheme.event_id)
    return component


def _criterion(criterion_id) -> Criterion:
    criterion = db.get_or_404(Criterion, criterion_id)
    _editable_event(criterion.component.scheme.event_id)
    return criterion


def _existing_scheme(event: Event) -> MarkingScheme | None:
    """The event's scheme if there is one: looking at the page creates nothing."""
    return db.session.scalar(sa.select(MarkingScheme).where(MarkingScheme.event_id == event.id))


def _scheme_url(event_id: int, anchor: str | None = None) -> str:
    return url_for("judging.scheme", event_id=event_id, _anchor=anchor)


def _tidy(*fields) -> None:
    """Show stored decimals as typed: 20.00 → 20, 0.50 → 0.5."""
    for field in fields:
        if field.data is not None:
            field.data = Decimal(format(field.data.normalize(), "f"))


def _copy_form(event: Event, formdata=None) -> CopySchemeForm:
    form = CopySchemeForm(formdata=formdata, prefix="copy")
    form.source_event_id.choices = [
        (e.id, f"{e.competition.name} · {e.name}")
        for e in services.copy_sources(current_user, event)]
    return form


def _render(event: Event, *, add_component=None, new_criterion=None, edit_component=None,
            edit_criterion=None, threshold=None, copy=None):
    """The scheme page. Keyword arguments carry a posted form (with its errors) to show again;
    `new_criterion`, `edit_component` and `edit_criterion` are (id, form) pairs."""
    scheme = _existing_scheme(event)
    components = scheme.components if scheme else []
    locked = scheme is not None and scheme.locked_at is not None
    new_criterion_forms = {c.id: CriterionForm(formdata=None, prefix=f"new{c.id}")
                           for c in components}
    if new_criterion:
        new_criterion_forms[new_criterion[0]] = new_criterion[1]
    if edit_component is None and (component_id := request.args.get("component", type=int)):
        component = next((c for c in components if c.id == component_id), None)
        if component is not None:
            form = ComponentEditForm(formdata=None, obj=component,
                                     prefix=f"component{component.id}")
            form.name.render_kw = {"autofocus": True}
            _tidy(form.weight)
            edit_component = (component.id, form)
    if edit_criterion is None and (criterion_id := request.args.get("criterion", type=int)):
        criterion = next((k for c in components for k in c.criteria if k.id == criterion_id),
                         None)
        if criterion is not None:
            form = CriterionForm(formdata=None, obj=criterion, prefix=f"criterion{criterion.id}")
            form.code.render_kw = {"autofocus": True}
            _tidy(form.max_mark, form.step)
            edit_criterion = (criterion.id, form)
    if threshold is None:
        threshold = SpreadThresholdForm(formdata=None, prefix="threshold")
        if scheme is not None:
            threshold.spread_threshold.data = scheme.spread_threshold
            _tidy(threshold.spread_threshold)
    return render_template(
        "judging/scheme.html", event=event, competition=event.competition, scheme=scheme,
        components=components, locked=locked,
        problems=services.problems(scheme) if scheme else [],
        can_manage_competition=event.competition.can_manage(current_user),
        add_component=add_component or ComponentForm(formdata=None, prefix="component"),
        new_criterion_forms=new_criterion_forms,
        new_criterion_open=new_criterion[0] if new_criterion else None,
        edit_component=edit_component or (None, None),
        edit_criterion=edit_criterion or (None, None),
        threshold=threshold,
        copy=copy or (None if components or locked else _copy_form(event)))


def _refused(error: DomainError, form) -> None:
    db.session.rollback()
    apply_error(form, error)


@bp.route("/events/<int:event_id>/scheme")
@login_required
def scheme(event_id):
    return _render(_editable_event(event_id))


@bp.route("/events/<int:event_id>/scheme/components", methods=["POST"])
@login_required
def add_component(event_id):
    event = _editable_event(event_id)
    form = ComponentForm(prefix="component")
    if form.validate_on_submit():
        try:
            component = services.add_component(
                current_user, services.scheme_for(current_user, event), name=form.name.data,
                kind=form.kind.data, weight=form.weight.data)
        except DomainError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(_("Component %(name)s added.", name=component.name), "success")
            return redirect(_scheme_url(event.id, f"component-{component.id}"))
    return _render(event, add_component=form)


@bp.route("/components/<int:component_id>/update", methods=["POST"])
@login_required
def update_component(component_id):
    component = _component(component_id)
    event_id = component.scheme.event_id
    form = ComponentEditForm(prefix=f"component{component.id}")
    if form.validate_on_submit():
        try:
            services.update_component(current_user, component, name=form.name.data,
                                      weight=form.weight.data)
        except DomainError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(_("Component %(name)s saved.", name=component.name), "success")
            return redirect(_scheme_url(event_id, f"component-{component.id}"))
    return _render(db.session.get(Event, event_id), edit_component=(component_id, form))


@bp.route("/components/<int:component_id>/remove", methods=["POST"])
@login_required
def remove_component(component_id):
    component = _component(component_id)
    event_id, name = component.scheme.event_id, component.name
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_component(current_user, component)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Component %(name)s removed.", name=name), "success")
    return redirect(_scheme_url(event_id))


@bp.route("/components/<int:component_id>/criteria", methods=["POST"])
@login_required
def add_criterion(component_id):
    component = _component(component_id)
    event_id = component.scheme.event_id
    form = CriterionForm(prefix=f"new{component.id}")
    if form.validate_on_submit():
        try:
            criterion = services.add_criterion(
                current_user, component, **{name: getattr(form, name).data
                                            for name in CRITERION_FIELDS})
        except DomainError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(_("Criterion %(code)s added.", code=criterion.code), "success")
            return redirect(_scheme_url(event_id, f"component-{component_id}"))
    return _render(db.session.get(Event, event_id), new_criterion=(component_id, form))


@bp.route("/criteria/<int:criterion_id>/update", methods=["POST"])
@login_required
def update_criterion(criterion_id):
    criterion = _criterion(criterion_id)
    event_id = criterion.component.scheme.event_id
    form = CriterionForm(prefix=f"criterion{criterion.id}")
    if form.validate_on_submit():
        try:
            services.update_criterion(current_user, criterion, **{
                name: getattr(form, name).data for name in CRITERION_FIELDS})
        except DomainError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(_("Criterion %(code)s saved.", code=criterion.code), "success")
            return redirect(_scheme_url(event_id, f"criterion-{criterion_id}"))
    return _render(db.session.get(Event, event_id), edit_criterion=(criterion_id, form))


@bp.route("/criteria/<int:criterion_id>/remove", methods=["POST"])
@login_required
def remove_criterion(criterion_id):
    criterion = _criterion(criterion_id)
    event_id, component_id = criterion.component.scheme.event_id, criterion.component_id
    code = criterion.code
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_criterion(current_user, criterion)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Criterion %(code)s removed.", code=code), "success")
    return redirect(_scheme_url(event_id, f"component-{component_id}"))


@bp.route("/events/<int:event_id>/scheme/spread-threshold", methods=["POST"])
@login_required
def set_spread_threshold(event_id):
    event = _editable_event(event_id)
    form = SpreadThresholdForm(prefix="threshold")
    if form.validate_on_submit():
        try:
            services.set_spread_threshold(current_user, services.scheme_for(current_user, event),
                                          form.spread_threshold.data)
        except DomainError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(_("Spread threshold saved."), "success")
            return redirect(_scheme_url(event.id))
    return _render(event, threshold=form)


@bp.route("/events/<int:event_id>/scheme/copy", methods=["POST"])
@login_required
def copy_scheme(event_id):
    event = _editable_event(event_id)
    form = _copy_form(event, formdata=request.form)
    if form.validate_on_submit():
        source = _existing_scheme(db.session.get(Event, form.source_event_id.data))
        try:
            services.copy_scheme(current_user, source, event)
        except DomainError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(_("Scheme copied from %(event)s.", event=source.event.name), "success")
            return redirect(_scheme_url(event.id))
    return _render(event, copy=form)


@bp.route("/events/<int:event_id>/scheme/clear", methods=["POST"])
@login_required
def clear_scheme(event_id):
    event = _editable_event(event_id)
    scheme = _existing_scheme(event)
    if scheme is not None and ConfirmForm().validate_on_submit():
        try:
            services.clear_scheme(current_user, scheme)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The scheme is cleared; build it again or copy another."), "success")
    return redirect(_scheme_url(event.id))
