"""Enterprise drills and contests (岗位练兵、技术比武) recorded summarily by the enterprise's
organisers: a name, a date, an occupation, how many took part and, optionally, the named
winners (workers of the enterprise's subtree) with their placing."""

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from competitions.audit.services import record
from competitions.contests.models import Drill, DrillPlace
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation, OrgKind
from competitions.promotion.models import Occupation
from competitions.registration.models import Worker

MAX_PARTICIPANTS = 1_000_000
FIRST_DRILL_DATE = date(1990, 1, 1)
MAX_WINNER_LINES = 200


class DrillRefused(DomainError):
    pass


def can_record_drills(user, org: Organisation) -> bool:
    """Organisers of an enterprise (or above it) record its drills."""
    return user.is_authenticated and org.kind is OrgKind.ENTERPRISE and user.manages(org)


@dataclass(frozen=True)
class WinnerLine:
    line: int
    id_number: str
    place: int


def parse_winners(text: str | None) -> list[WinnerLine]:
    """Lines "身份证号 名次" (blank lines skipped); every line's problem is reported at once."""
    lines, problems = _parse(text)
    DomainError.raise_all([problem for _line, problem in problems])
    return lines


def _parse(text: str | None) -> tuple[list[WinnerLine], list[tuple[int, DomainError]]]:
    lines, problems = [], []
    raw_lines = (text or "").splitlines()
    if len(raw_lines) > MAX_WINNER_LINES:
        return [], [(0, DrillRefused(_l("List at most %(n)d winners.", n=MAX_WINNER_LINES),
                                     field="winners"))]
    for number, raw in enumerate(raw_lines, start=1):
        parts = re.split(r"[\s,，、;；]+", raw.strip())
        if parts == [""]:
            continue
        if len(parts) != 2:
            problems.append((number, DrillRefused(
                _l("Line %(n)d: write an ID number and a place, e.g. “320102199001011234 1”.",
                   n=number), field="winners")))
            continue
        id_number, place = parts[0].upper(), parts[1]
        if not re.fullmatch(r"[0-9]{17}[0-9X]", id_number):
            problems.append((number, DrillRefused(
                _l("Line %(n)d: %(id)s is not an 18-character ID number.", n=number,
                   id=parts[0][:30]), field="winners")))
        elif not re.fullmatch(r"[0-9]{1,4}", place) or int(place) < 1:
            problems.append((number, DrillRefused(
                _l("Line %(n)d: the place is a whole number from 1, e.g. 1 for first place.",
                   n=number), field="winners")))
        else:
            lines.append(WinnerLine(number, id_number, int(place)))
    return lines, problems


def _winners(org: Organisation, lines: list[WinnerLine]
             ) -> tuple[list[tuple[int, int]], list[tuple[int, DomainError]]]:
    """(worker id, place) for each line, each a worker employed in `org`'s subtree."""
    found = dict(db.session.execute(
        sa.select(Worker.id_number, Worker.id).join(Organisation, Organisation.id ==
                                                    Worker.employer_id)
        .where(Worker.id_number.in_({line.id_number for line in lines}),
               Organisation.in_subtree(org.path))).tuples().all()) if lines else {}
    problems, seen, winners = [], set(), []
    for line in lines:
        worker_id = found.get(line.id_number)
        if worker_id is None:
            problems.append((line.line, DrillRefused(
                _l("Line %(n)d: no worker of %(org)s has the ID number %(id)s.", n=line.line,
                   org=org.name, id=line.id_number), field="winners")))
        elif worker_id in seen:
            problems.append((line.line, DrillRefused(
                _l("Line %(n)d: this worker is listed twice.", n=line.line), field="winners")))
        else:
            seen.add(worker_id)
            winners.append((worker_id, line.place))
    return winners, problems


def _check(org: Organisation, *, name: str, held_on: date | None, occupation_id: int | None,
           participants: int | None, winners: str | None,
           drill: Drill | None = None) -> tuple[str, list[tuple[int, int]]]:
    problems = []
    name = (name or "").strip()
    if not name:
        problems.append(DrillRefused(_l("Give the drill a name."), field="name"))
    elif len(name) > 200:
        problems.append(DrillRefused(_l("The name is at most 200 characters."), field="name"))
    today = utcnow().date()
    if held_on is None:
        problems.append(DrillRefused(_l("Give the date the drill was held."), field="held_on"))
    elif not FIRST_DRILL_DATE <= held_on <= today:
        problems.append(DrillRefused(_l("Record a drill that has taken place: its date lies "
                                        "between %(first)s and today.",
                                        first=FIRST_DRILL_DATE.isoformat()), field="held_on"))
    if occupation_id is None or db.session.get(Occupation, occupation_id) is None:
        problems.append(DrillRefused(_l("Choose the occupation of the drill."),
                                     field="occupation"))
    if participants is None or not 0 <= participants <= MAX_PARTICIPANTS:
        problems.append(DrillRefused(_l("The number of participants is from 0 to %(n)d.",
                                        n=MAX_PARTICIPANTS), field="participants"))
    lines, line_problems = _parse(winners)
    places, found_problems = _winners(org, lines)
    problems += [problem for _line, problem in sorted(line_problems + found_problems,
                                                      key=lambda item: item[0])]
    if participants is not None and len(places) > participants:
        problems.append(DrillRefused(_l("%(n)d winners are named, more than the %(p)d "
                                        "participants.", n=len(places), p=participants),
                                     field="participants"))
    if name and held_on is not None and not problems:
        same = db.session.scalar(sa.select(Drill.id).where(
            Drill.organisation_id == org.id, Drill.name == name, Drill.held_on == held_on,
            Drill.id != (drill.id if drill else 0)).limit(1))
        if same is not None:
            problems.append(DrillRefused(_l("A drill of this name on this date is recorded "
                                            "already."), field="name"))
    DomainError.raise_all(problems)
    return name, places


def _snapshot(drill: Drill) -> dict:
    return {"name": drill.name, "held_on": drill.held_on, "occupation_id": drill.occupation_id,
            "participants": drill.participants, "organisation_id": drill.organisation_id,
            "places": sorted([place.worker_id, place.place] for place in drill.places)}


def record_drill(actor, org: Organisation, *, name: str, held_on: date | None,
                 occupation_id: int | None, participants: int | None,
                 winners: str | None = None) -> Drill:
    """Record a drill held by the enterprise `org`; `winners` holds lines "身份证号 名次"."""
    if not can_record_drills(actor, org):
        raise PermissionDenied(_l("Only the organisers of an enterprise record its drills."))
    name, places = _check(org, name=name, held_on=held_on, occupation_id=occupation_id,
                          participants=participants, winners=winners)
    drill = Drill(organisation_id=org.id, name=name, held_on=held_on,
                  occupation_id=occupation_id, participants=participants,
                  recorded_by_id=actor.id,
                  places=[DrillPlace(worker_id=w, place=p) for w, p in places])
    db.session.add(drill)
    db.session.flush()
    record(actor, "drill.record", drill, after=_snapshot(drill))
    return drill


def update_drill(actor, drill: Drill, *, name: str, held_on: date | None,
                 occupation_id: int | None, participants: int | None,
                 winners: str | None = None) -> Drill:
    """Correct a recorded drill; its named winners are replaced by those given."""
    org = drill.organisation
    if not can_record_drills(actor, org):
        raise PermissionDenied(_l("Only the organisers of an enterprise record its drills."))
    name, places = _check(org, name=name, held_on=held_on, occupation_id=occupation_id,
                          participants=participants, winners=winners, drill=drill)
    before = _snapshot(drill)
    drill.name, drill.held_on, drill.occupation_id = name, held_on, occupation_id
    drill.participants = participants
    kept = {place.worker_id: place for place in drill.places}
    wanted = dict(places)
    for worker_id, place in list(kept.items()):
        if worker_id not in wanted:
            drill.places.remove(place)
    for worker_id, place in places:
        if worker_id in kept:
            kept[worker_id].place = place
        else:
            drill.places.append(DrillPlace(worker_id=worker_id, place=place))
    db.session.flush()
    db.session.expire(drill, ["occupation"])
    if before != _snapshot(drill):
        record(actor, "drill.update", drill, before=before, after=_snapshot(drill))
    return drill


def delete_drill(actor, drill: Drill) -> None:
    if not can_record_drills(actor, drill.organisation):
        raise PermissionDenied(_l("Only the organisers of an enterprise record its drills."))
    record(actor, "drill.delete", drill, before=_snapshot(drill))
    db.session.delete(drill)
    db.session.flush()


def winners_text(drill: Drill) -> str:
    """The drill's named winners as the form's lines."""
    numbers = dict(db.session.execute(sa.select(Worker.id, Worker.id_number).where(
        Worker.id.in_([place.worker_id for place in drill.places]))).tuples().all())
    return "\n".join(f"{numbers[place.worker_id]} {place.place}" for place in drill.places)


@dataclass(frozen=True)
class DrillRow:
    drill: Drill
    winners: list[tuple[str, int]]  # (worker name, place)


def drills_of(org: Organisation, limit: int = 100) -> list[DrillRow]:
    """The enterprise's drills, newest first, with their named winners, in two queries."""
    drills = list(db.session.scalars(
        sa.select(Drill).where(Drill.organisation_id == org.id)
        .order_by(Drill.held_on.desc(), Drill.id.desc()).limit(limit)))
    names: dict[int, list[tuple[str, int]]] = {drill.id: [] for drill in drills}
    if drills:
        for drill_id, worker_name, place in db.session.execute(
                sa.select(DrillPlace.drill_id, Worker.name, DrillPlace.place)
                .join(Worker, Worker.id == DrillPlace.worker_id)
                .where(DrillPlace.drill_id.in_(names))
                .order_by(DrillPlace.place, Worker.name)):
            names[drill_id].append((worker_name, place))
    return [DrillRow(drill, names[drill.id]) for drill in drills]


@dataclass(frozen=True)
class DrillPlacing:
    """A worker's placing in a drill, as their record shows it."""

    held_on: date
    name: str
    organisation: str
    occupation: str
    place: int


def placings_of(worker: Worker) -> list[DrillPlacing]:
    """The drills `worker` is named a winner of, newest first."""
    rows = db.session.execute(
        sa.select(Drill.held_on, Drill.name, Organisation.name, Occupation.name, DrillPlace.place)
        .join(DrillPlace, DrillPlace.drill_id == Drill.id)
        .join(Organisation, Organisation.id == Drill.organisation_id)
        .join(Occupation, Occupation.id == Drill.occupation_id)
        .where(DrillPlace.worker_id == worker.id)
        .order_by(Drill.held_on.desc(), Drill.id.desc()))
    return [DrillPlacing(*row) for row in rows]
