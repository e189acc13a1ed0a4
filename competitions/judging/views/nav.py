"""The links across an event's judging pages, each shown only to those who may open it."""

from flask import current_app, url_for
from flask_login import current_user

from competitions.i18n import lazy_gettext as _l
from competitions.judging import panels, services, signoff
from competitions.judging.blueprint import bp
from competitions.judging.scoring import plain

# (endpoint, label, who may open it)
EVENT_PAGES = (
    ("judging.scheme", _l("Marking scheme"), services.can_edit_scheme),
    ("judging.officials", _l("Judges and panels"), panels.can_manage_panels),
    ("judging.my_sheets", _l("My score sheets"), panels.is_judge),
    ("judging.score_import", _l("Theory scores"), services.can_edit_scheme),
    ("judging.overview", _l("Completeness and sign-off"),
     lambda user, event: panels.is_chief_judge(user, event) or user.is_admin),
    ("judging.consistency", _l("Judge consistency"),
     lambda user, event: signoff.can_read_history(user, event)
     or event.competition.can_manage(user)),
)


@bp.app_context_processor
def judging_links():
    def links(event):
        return [(endpoint, label, url_for(endpoint, event_id=event.id))
                for endpoint, label, allowed in EVENT_PAGES
                if endpoint in current_app.view_functions and allowed(current_user, event)]
    return {"judging_links": links}


@bp.app_template_filter("mark")
def mark_filter(value) -> str:
    """Show a Decimal mark plainly (40, 0.5); None as a dash."""
    return "—" if value is None else plain(value)
