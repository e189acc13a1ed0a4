"""The audit log, readable by platform administrators."""

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from competitions.accounts.permissions import admin_required
from competitions.audit.models import AuditEntry
from competitions.pagination import paginate

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@admin_required
def index():
    action = request.args.get("action", "").strip()
    stmt = sa.select(AuditEntry).order_by(AuditEntry.seq.desc())
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    page = paginate(stmt)
    return render_template("audit/index.html", page=page, action=action)
