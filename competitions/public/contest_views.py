"""The public page of each competition and of each event: what it is, who may enter, when and
where, and its rules (竞赛规程) to read. Drafts are nobody's business but their organisers'."""

import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user

from competitions.contests.models import Competition, CompetitionState, Event
from competitions.database import utcnow
from competitions.extensions import db
from competitions.files.models import StoredFile
from competitions.files.services import send
from competitions.public.listings import registration_phase
from competitions.public.views import bp
from competitions.registration import entries
from competitions.registration.models import Entry, EntryMember
from competitions.results import lifecycle
from competitions.results.exports import has_public_results, is_under_review
from competitions.results.honours import HonourTitle


def public_competition(competition_id) -> Competition:
    competition = db.get_or_404(Competition, competition_id)
    if competition.state is CompetitionState.DRAFT:
        abort(404)
    return competition


def _rules_file(competition: Competition) -> StoredFile | None:
    return db.session.get(StoredFile, competition.rules_file_id) \
        if competition.rules_file_id else None


@bp.route("/competitions/<int:competition_id>")
def competition(competition_id):
    competition = public_competition(competition_id)
    return render_template("public/competition.html", competition=competition,
                           events=competition.events, rules=_rules_file(competition),
                           phase=registration_phase(competition, utcnow()),
                           has_results=has_public_results, under_review=is_under_review,
                           in_notice=lifecycle.in_notice, honour_title=HonourTitle)


@bp.route("/competitions/<int:competition_id>/rules.pdf")
def competition_rules(competition_id):
    """The rules PDF, opened in the browser's viewer; anyone may read it."""
    rules = _rules_file(public_competition(competition_id))
    if rules is None:
        abort(404)
    return send(rules, inline=True, private=False)


def _worker_standing(event: Event, open_now: bool) -> dict:
    """For a signed-in worker: their entry, or why they may not enter, or places left."""
    worker = current_user.worker if current_user.is_authenticated else None
    if worker is None:
        return {"worker": None}
    entry = db.session.scalar(sa.select(Entry).join(EntryMember).where(
        EntryMember.worker_id == worker.id, EntryMember.event_id == event.id,
        EntryMember.active))
    standing = {"worker": worker, "entry": entry, "refusals": None, "left": None}
    if entry is None and open_now and event.competition.starts_on and not event.is_team:
        standing["refusals"] = entries.eligibility_table([worker], [event])[(worker.id, event.id)]
        standing["left"] = entries.places_left(worker, [event]).get(event.id)
    return standing


@bp.route("/events/<int:event_id>")
def event(event_id):
    event = db.get_or_404(Event, event_id)
    competition = public_competition(event.competition_id)
    phase = registration_phase(competition, utcnow())
    return render_template("public/event.html", event=event, competition=competition,
                           phase=phase, rules=_rules_file(competition),
                           has_results=has_public_results(event), honour_title=HonourTitle,
                           **_worker_standing(event, phase == "open"))
