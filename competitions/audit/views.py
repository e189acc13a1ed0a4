"""The audit log, readable by platform administrators."""

from flask import Blueprint, render_template, request

from competitions.accounts.permissions import admin_required
from competitions.audit.labels import AREAS, SUBJECTS, action_label
from competitions.audit.presentation import readable
from competitions.audit.search import AuditFilters, filtered
from competitions.pagination import paginate

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@admin_required
def index():
    filters = AuditFilters.from_args(request.args)
    page = paginate(filtered(filters))
    areas = sorted(((prefix, str(label)) for prefix, label in AREAS.items()),
                   key=lambda item: item[1])
    if filters.action and filters.action not in AREAS:  # one action, from a link or by hand
        areas.insert(0, (filters.action, action_label(filters.action)))
    kinds = sorted(((kind, str(label)) for kind, label in SUBJECTS.items()),
                   key=lambda item: item[1])
    return render_template("audit/index.html", page=page, entries=readable(page.items),
                           filters=filters, areas=areas, kinds=kinds)
