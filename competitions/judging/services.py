"""Building, checking, copying and locking marking schemes."""

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from competitions.accounts.models import Role
from competitions.audit.services import record
from competitions.contests.models import Competition, Event
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.judging.models import (
    Aggregation,
    Component,
    ComponentKind,
    Criterion,
    CriterionKind,
    ImportedMark,
    Mark,
    MarkingScheme,
    PanelSeat,
    Penalty,
)
from competitions.organisations.models import Organisation
from competitions.promotion.models import Occupation

COPY_SOURCES_LIMIT = 100  # events offered as a scheme to copy
MIN_PANEL = 3  # judgement criteria are marked by a panel of 3 to 5 judges
MIN_TRIMMED_PANEL = 5  # dropping the highest and lowest mark leaves at least 3 (scoring.py)
CENTS = Decimal("0.01")  # weights, maxima, steps and thresholds are stored with 2 places


class SchemeError(DomainError):
    pass


def _plain(value: Decimal) -> str:
    """30.00 → "30", 12.50 → "12.5", for messages."""
    return format(value.normalize(), "f")


def _check_places(value: Decimal, field: str) -> None:
    """Refuse more than two decimal places: the database would round them away silently."""
    if (problem := _places_problem(value, field)) is not None:
        raise problem


def _places_problem(value: Decimal, field: str) -> SchemeError | None:
    if value != value.quantize(CENTS):
        return SchemeError(_l("Use at most two decimal places."), field=field)
    return None


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


def _check_weight(scheme: MarkingScheme, weight: Decimal,
                  component: Component | None = None) -> None:
    """Refuse a weight out of range or one that takes the scheme's total past 100 %."""
    if not Decimal(0) < weight <= 100:
        raise SchemeError(_l("A weight is a percentage above 0 and at most 100."), field="weight")
    _check_places(weight, "weight")
    total = sum((c.weight for c in scheme.components if c is not component), weight)
    if total > 100:
        raise SchemeError(_l("The weights would total %(total)s%%; they must total 100%%.",
                             total=_plain(total)), field="weight")


def add_component(actor, scheme: MarkingScheme, *, name: str, kind: ComponentKind,
                  weight: Decimal) -> Component:
    _editable(actor, scheme)
    _check_weight(scheme, weight)
    component = Component(name=name.strip(), kind=kind, weight=weight,
                          position=len(scheme.components))
    scheme.components.append(component)
    db.session.flush()
    record(actor, "scheme.component_add", scheme,
           after={"name": component.name, "kind": kind, "weight": weight})
    return component


def _checked_panel_size(component: Component, *, code: str, max_mark: Decimal, step: Decimal,
                        kind: CriterionKind, panel_size: int, aggregation: Aggregation,
                        criterion: Criterion | None = None) -> int:
    """Refuse a criterion that breaks any rule, naming each field; return its panel size."""
    if kind is not CriterionKind.JUDGEMENT:
        panel_size = 1  # one judge measures; an imported score has no panel at all
    problems = []
    if max_mark <= 0 or step <= 0 or max_mark % step != 0:
        problems.append(SchemeError(_l("The maximum must be a positive multiple of the step."),
                                    field="max_mark"))
    problems += [p for p in (_places_problem(max_mark, "max_mark"),
                             _places_problem(step, "step")) if p is not None]
    if kind is CriterionKind.JUDGEMENT and panel_size < MIN_PANEL:
        problems.append(SchemeError(_l(
            "A judgement criterion needs a panel of at least %(n)d judges.", n=MIN_PANEL),
            field="panel_size"))
    if kind is CriterionKind.JUDGEMENT and aggregation is Aggregation.TRIMMED_MEAN \
            and panel_size < MIN_TRIMMED_PANEL:
        problems.append(SchemeError(_l(
            "Dropping the highest and lowest marks needs a panel of at least %(n)d judges; "
            "choose the mean or the median for %(size)d.", n=MIN_TRIMMED_PANEL, size=panel_size),
            field="aggregation"))
    # Codes are unique across the whole scheme: marks are recorded (and audited) by code.
    if any(c.code == code.strip() and c is not criterion
           for other in component.scheme.components for c in other.criteria):
        problems.append(SchemeError(_l("The code %(code)s is already used in this scheme.",
                                       code=code), field="code"))
    SchemeError.raise_all(problems)
    return panel_size


def add_criterion(actor, component: Component, *, code: str, description: str,
                  max_mark: Decimal, kind: CriterionKind, step: Decimal = Decimal("0.5"),
                  panel_size: int = 1, aggregation: Aggregation = Aggregation.MEAN) -> Criterion:
    _editable(actor, component.scheme)
    panel_size = _checked_panel_size(component, code=code, max_mark=max_mark, step=step,
                                     kind=kind, panel_size=panel_size, aggregation=aggregation)
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
        found.append(_l("The weights total %(total)s%%, not 100%%.",
                        total=_plain(scheme.total_weight)))
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
    if not can_edit_scheme(actor, source.event):
        raise PermissionDenied(_l("Only the chief judge or the organisers edit the scheme."))
    target = scheme_for(actor, target_event)
    _editable(actor, target)
    if target.components:
        raise SchemeError(_l("The target event already has a scheme; clear it first."))
    target.spread_threshold = source.spread_threshold
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


def _release(criteria: list[Criterion], components: list[Component] = ()) -> None:
    """Let criteria (and components) go: refused once marks refer to them; panel seats go."""
    criterion_ids = [c.id for c in criteria]
    component_ids = [c.id for c in components]
    used = db.session.scalar(sa.select(sa.or_(
        sa.exists().where(Mark.criterion_id.in_(criterion_ids)),
        sa.exists().where(ImportedMark.criterion_id.in_(criterion_ids)),
        sa.exists().where(Penalty.component_id.in_(component_ids)))))
    if used:
        raise SchemeError(_l("Marks are already recorded against it; it cannot be removed."))
    if criterion_ids:
        db.session.execute(sa.delete(PanelSeat).where(PanelSeat.criterion_id.in_(criterion_ids))
                           .execution_options(synchronize_session="fetch"))


def update_component(actor, component: Component, *, name: str, weight: Decimal) -> None:
    scheme = component.scheme
    _editable(actor, scheme)
    _check_weight(scheme, weight, component)
    before = {"name": component.name, "weight": component.weight}
    component.name, component.weight = name.strip(), weight
    db.session.flush()
    record(actor, "scheme.component_update", scheme, before=before,
           after={"name": component.name, "weight": weight})


def remove_component(actor, component: Component) -> None:
    """Remove a component with its criteria; the others keep their order."""
    scheme = component.scheme
    _editable(actor, scheme)
    before = {"name": component.name, "kind": component.kind, "weight": component.weight,
              "criteria": [c.code for c in component.criteria]}
    _release(component.criteria, [component])
    scheme.components.remove(component)
    for position, other in enumerate(scheme.components):
        other.position = position
    db.session.flush()
    record(actor, "scheme.component_remove", scheme, before=before)


def _criterion_values(criterion: Criterion) -> dict:
    return {"component": criterion.component.name, "code": criterion.code,
            "description": criterion.description, "max_mark": criterion.max_mark,
            "step": criterion.step, "kind": criterion.kind, "panel_size": criterion.panel_size,
            "aggregation": criterion.aggregation}


def update_criterion(actor, criterion: Criterion, *, code: str, description: str,
                     max_mark: Decimal, kind: CriterionKind, step: Decimal, panel_size: int,
                     aggregation: Aggregation) -> None:
    component = criterion.component
    _editable(actor, component.scheme)
    panel_size = _checked_panel_size(component, code=code, max_mark=max_mark, step=step,
                                     kind=kind, panel_size=panel_size, aggregation=aggregation,
                                     criterion=criterion)
    before = _criterion_values(criterion)
    criterion.code, criterion.description = code.strip(), description.strip()
    criterion.max_mark, criterion.step, criterion.kind = max_mark, step, kind
    criterion.panel_size, criterion.aggregation = panel_size, aggregation
    db.session.flush()
    record(actor, "scheme.criterion_update", component.scheme, before=before,
           after=_criterion_values(criterion))


def remove_criterion(actor, criterion: Criterion) -> None:
    component = criterion.component
    _editable(actor, component.scheme)
    before = _criterion_values(criterion)
    _release([criterion])
    component.criteria.remove(criterion)
    for position, other in enumerate(component.criteria):
        other.position = position
    db.session.flush()
    record(actor, "scheme.criterion_remove", component.scheme, before=before)


def set_spread_threshold(actor, scheme: MarkingScheme, threshold: Decimal) -> None:
    """How far apart (percent of a criterion's maximum) a panel's marks may be unflagged."""
    _editable(actor, scheme)
    if not Decimal(0) < threshold <= 100:
        raise SchemeError(_l("The threshold is a percentage above 0 and at most 100."),
                          field="spread_threshold")
    _check_places(threshold, "spread_threshold")
    before = {"spread_threshold": scheme.spread_threshold}
    scheme.spread_threshold = threshold
    db.session.flush()
    record(actor, "scheme.spread_threshold", scheme, before=before,
           after={"spread_threshold": threshold})


def clear_scheme(actor, scheme: MarkingScheme) -> None:
    """Remove every component and criterion, e.g. before copying another event's scheme."""
    _editable(actor, scheme)
    before = {"components": [c.name for c in scheme.components]}
    _release([k for c in scheme.components for k in c.criteria], scheme.components)
    scheme.components.clear()
    db.session.flush()
    record(actor, "scheme.clear", scheme, before=before)


def copy_sources(actor, target_event: Event, limit: int = COPY_SOURCES_LIMIT) -> list[Event]:
    """Other events with a non-empty scheme that `actor` may edit, by competition then event."""
    stmt = (sa.select(Event)
            .join(MarkingScheme, MarkingScheme.event_id == Event.id)
            .join(Event.competition).join(Competition.organiser).join(Event.occupation)
            .where(Event.id != target_event.id,
                   sa.exists().where(Component.scheme_id == MarkingScheme.id))
            .options(contains_eager(Event.competition).contains_eager(Competition.organiser),
                     contains_eager(Event.occupation)))
    if not actor.is_admin:
        chief_of = [g.event_id for g in actor.grants
                    if g.role is Role.CHIEF_JUDGE and g.event_id is not None]
        stmt = stmt.where(sa.or_(Organisation.in_any_subtree(actor.organiser_paths),
                                 Event.id.in_(chief_of)))
    stmt = stmt.order_by(Competition.year.desc(), Competition.name, Competition.id,
                         Occupation.name, Event.group, Event.id).limit(limit)
    return [e for e in db.session.scalars(stmt) if can_edit_scheme(actor, e)]
