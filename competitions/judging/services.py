"""Building, checking, copying and locking marking schemes."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from competitions.accounts.models import Role
from competitions.audit.services import record
from competitions.contests.models import Event
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.judging.models import (
    Aggregation,
    Component,
    ComponentKind,
    Criterion,
    CriterionKind,
    MarkingScheme,
)

MIN_PANEL = 3  # judgement criteria are marked by a panel of 3 to 5 judges


class SchemeError(DomainError):
    pass


def can_edit_scheme(user, event: Event) -> bool:
    """The event's chief judge, or the competition's organisers."""
    if not user.is_authenticated:
        return False
    if event.competition.can_manage(user):
        return True
    return any(g.role is Role.CHIEF_JUDGE and g.event_id == event.id for g in user.grants)


def _editable(actor, scheme: MarkingScheme) -> None:
    if not can_edit_scheme(actor, scheme.event):
        raise PermissionDenied(_l("Only the chief judge or the organisers edit the scheme."))
    if scheme.locked_at is not None:
        raise SchemeError(_l("Marking has started: the scheme is locked."))


def scheme_for(actor, event: Event) -> MarkingScheme:
    """The event's scheme, created empty on first use."""
    scheme = db.session.scalar(sa.select(MarkingScheme).where(MarkingScheme.event_id == event.id))
    if scheme is None:
        if not can_edit_scheme(actor, event):
            raise PermissionDenied(_l("Only the chief judge or the organisers edit the scheme."))
        scheme = MarkingScheme(event=event)
        db.session.add(scheme)
        db.session.flush()
        record(actor, "scheme.create", scheme, after={"event_id": event.id})
    return scheme


def add_component(actor, scheme: MarkingScheme, *, name: str, kind: ComponentKind,
                  weight: Decimal) -> Component:
    _editable(actor, scheme)
    if not Decimal(0) < weight <= 100:
        raise SchemeError(_l("A weight is a percentage above 0 and at most 100."), field="weight")
    if scheme.total_weight + weight > 100:
        raise SchemeError(_l("The weights would total %(total)s%%; they must total 100%%.",
                             total=scheme.total_weight + weight), field="weight")
    component = Component(name=name.strip(), kind=kind, weight=weight,
                          position=len(scheme.components))
    scheme.components.append(component)
    db.session.flush()
    record(actor, "scheme.component_add", scheme,
           after={"name": component.name, "kind": kind, "weight": weight})
    return component


def add_criterion(actor, component: Component, *, code: str, description: str,
                  max_mark: Decimal, kind: CriterionKind, step: Decimal = Decimal("0.5"),
                  panel_size: int = 1, aggregation: Aggregation = Aggregation.MEAN) -> Criterion:
    _editable(actor, component.scheme)
    if max_mark <= 0 or step <= 0 or max_mark % step != 0:
        raise SchemeError(_l("The maximum must be a positive multiple of the step."),
                          field="max_mark")
    if kind is CriterionKind.MEASUREMENT:
        panel_size = 1
    elif panel_size < MIN_PANEL:
        raise SchemeError(_l("A judgement criterion needs a panel of at least %(n)d judges.",
                             n=MIN_PANEL), field="panel_size")
    if any(c.code == code.strip() for c in component.criteria):
        raise SchemeError(_l("The code %(code)s is already used in this component.",
                             code=code), field="code")
    criterion = Criterion(code=code.strip(), description=description.strip(), max_mark=max_mark,
                          step=step, kind=kind, panel_size=panel_size, aggregation=aggregation,
                          position=len(component.criteria))
    component.criteria.append(criterion)
    db.session.flush()
    record(actor, "scheme.criterion_add", component.scheme, after={
        "component": component.name, "code": criterion.code, "max_mark": max_mark,
        "kind": kind, "panel_size": panel_size, "aggregation": aggregation})
    return criterion


def problems(scheme: MarkingScheme) -> list:
    """What stops the scheme being used for marking; empty when it is complete."""
    found = []
    if scheme.total_weight != 100:
        found.append(_l("The weights total %(total)s%%, not 100%%.", total=scheme.total_weight))
    for component in scheme.components:
        if not component.criteria:
            found.append(_l("%(name)s has no criteria.", name=component.name))
    return found


def lock(actor, scheme: MarkingScheme) -> None:
    """Freeze the scheme when marking starts; refused while it is incomplete."""
    _editable(actor, scheme)
    missing = problems(scheme)
    if missing:
        raise SchemeError(" ".join(str(p) for p in missing))
    scheme.locked_at = utcnow()
    record(actor, "scheme.lock", scheme)


def copy_scheme(actor, source: MarkingScheme, target_event: Event) -> MarkingScheme:
    """Copy `source`'s components and criteria into the (empty) scheme of another event."""
    target = scheme_for(actor, target_event)
    _editable(actor, target)
    if target.components:
        raise SchemeError(_l("The target event already has a scheme; clear it first."))
    for component in source.components:
        copy = Component(name=component.name, kind=component.kind, weight=component.weight,
                         position=component.position)
        copy.criteria = [Criterion(
            code=c.code, description=c.description, max_mark=c.max_mark, step=c.step,
            kind=c.kind, panel_size=c.panel_size, aggregation=c.aggregation,
            position=c.position) for c in component.criteria]
        target.components.append(copy)
    db.session.flush()
    record(actor, "scheme.copy", target, after={"from_scheme": source.id})
    return target
