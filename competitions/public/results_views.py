"""Public results (公示): competitions, their events, each event's published results with a
score-distribution chart, and the printable notice; plus the organisers' results spreadsheet.

Names are masked (张*明) on everything public; ID numbers, phone numbers, blind codes and
check-in codes are never shown. Every page reads the one snapshot services.published_results,
its current version unless an earlier, superseded one is asked for (?version=1). While marking
is reopened (复核中) the last published results stay up, marked as under review.
"""

from io import BytesIO

import sqlalchemy as sa
from flask import abort, render_template, request, send_file
from flask_babel import force_locale, get_locale, to_user_timezone
from flask_login import current_user, login_required
from markupsafe import Markup

from competitions.audit.checkpoints import latest_checkpoint
from competitions.contests.models import Competition, CompetitionState, Event
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging.scoring import two_places
from competitions.pagination import paginate
from competitions.public.results_cache import results_cache
from competitions.public.views import bp
from competitions.results import distribution, lifecycle, ranking, services
from competitions.results.award_plans import award_citation
from competitions.results.exports import (
    PUBLIC_STAGES,
    component_names,
    export_results,
    has_public_results,
    is_public,
    is_under_review,
    notice_period,
    result_rows,
)
from competitions.results.notice_pdf import render_notice, unprintable_names
from competitions.spreadsheets.download import send_xlsx


def _published_event(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not has_public_results(event) or event.competition.state is CompetitionState.DRAFT:
        abort(404)
    return event


def _asked_version(event: Event) -> tuple[services.ResultVersion | None,
                                          list[services.ResultVersion]]:
    """The version asked for by ?version= (None: the current one), and every version."""
    versions = services.result_versions(event)
    number = request.args.get("version", type=int)
    if number is None:
        return None, versions
    asked = next((v for v in versions if v.number == number), None)
    if asked is None:
        abort(404)
    return (None if asked.is_current else asked), versions


def _published_counts(competition_ids: list[int]) -> dict[int, int]:
    if not competition_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Event.competition_id, sa.func.count(Event.id))
        .where(Event.competition_id.in_(competition_ids),
               sa.or_(Event.stage.in_(PUBLIC_STAGES), Event.notice_ends_at.is_not(None)))
        .group_by(Event.competition_id)).all())


@bp.route("/competitions")
def competitions():
    """Every competition past its draft, newest first, with how many events have results."""
    stmt = (sa.select(Competition).where(Competition.state != CompetitionState.DRAFT)
            .order_by(Competition.year.desc(), Competition.starts_on.desc(),
                      Competition.id.desc()))
    page = paginate(stmt)
    return render_template("public/results_competitions.html", page=page,
                           published=_published_counts([c.id for c in page.items]))


@bp.route("/events/<int:event_id>/results")
def event_results(event_id):
    event = _published_event(event_id)
    superseded, versions = _asked_version(event)
    number = superseded.number if superseded else None
    can_export = event.competition.can_manage(current_user) and is_public(event)
    under_review = is_under_review(event)
    tie_breaks = [ranking.TIE_BREAKS[name][1]
                  for name in event.competition.tie_breaks or ranking.DEFAULT_CHAIN]
    rows = result_rows(event, number) if can_export else None

    def render() -> tuple[str, ...]:
        shown = rows if rows is not None else result_rows(event, number)
        totals = [row.total for row in shown]
        return (render_template("public/_results_table.html", rows=shown,
                                components=component_names(shown), two_places=two_places,
                                tie_breaks=tie_breaks),
                render_template("public/_results_distribution.html",
                                summary=distribution.summarise(totals), two_places=two_places,
                                chart=distribution.chart_layout(distribution.histogram(totals))))

    # The version shown (the current one is versions[0]) and what else the table depends on.
    key = (event.id, number or (versions[0].number if versions else 0), str(get_locale()),
           event.stage.value, tuple(tie_breaks))
    table, chart = results_cache().get_or_render(key, render)
    return render_template(
        "public/results_event.html", event=event, competition=event.competition,
        results_table=Markup(table), distribution_chart=Markup(chart),
        in_notice=lifecycle.in_notice(event), appeals_open=lifecycle.appeals_open(event),
        notice_ends_at=event.notice_ends_at, versions=versions, superseded=superseded,
        under_review=under_review,
        reopening_appeal=lifecycle.reopening_appeal(event) if under_review else None,
        can_export=can_export, unprintable=unprintable_names(rows) if can_export else [],
        checkpoint=latest_checkpoint(event), award_citation=award_citation(event.competition))


@bp.route("/events/<int:event_id>/notice.pdf")
def notice_pdf(event_id):
    event = _published_event(event_id)
    superseded, _versions = _asked_version(event)
    number = superseded.number if superseded else None
    starts_at, ends_at = notice_period(event, number)
    pdf = render_notice(event, result_rows(event, number), starts_at=starts_at,
                        ends_at=ends_at, printed_at=to_user_timezone(utcnow()),
                        superseded_version=number, under_review=is_under_review(event))
    name = f"notice-{event.id}-v{number}.pdf" if number else f"notice-{event.id}.pdf"
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=False,
                     download_name=name, max_age=0)


@bp.route("/events/<int:event_id>/results.xlsx")
@login_required
def results_xlsx(event_id):
    """The full results with names, for the competition's organisers only."""
    event = db.get_or_404(Event, event_id)
    if not event.competition.can_manage(current_user):
        abort(403)
    if not is_public(event):
        abort(404)
    content = export_results(current_user, event)
    db.session.commit()
    with force_locale("zh"):
        name = f"{event.competition.name}-{event.name}-成绩"
    return send_xlsx(content, name)
