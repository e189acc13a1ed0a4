"""The evaluation page, its .xlsx and the annual report PDF: organisers see their subtrees only."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from competitions.accounts.permissions import organiser_required
from competitions.caching import no_store
from competitions.database import utcnow
from competitions.evaluation import charts, exports, report_pdf
from competitions.evaluation.measures import Filters, evaluate
from competitions.extensions import db
from competitions.organisations.industries import SECTIONS
from competitions.organisations.models import (
    EnterpriseSize,
    Organisation,
    OrgKind,
    Ownership,
    Tier,
)
from competitions.spreadsheets.download import file_name, send_xlsx

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")

FIRST_YEAR = 2000


@dataclass(frozen=True)
class Query:
    organisation: Organisation
    year: int
    filters: Filters

    @property
    def args(self) -> dict:
        """The query string that shows this evaluation (for the export and report links)."""
        f = self.filters
        values = {"org": self.organisation.id, "year": self.year,
                  "tier": f.tier and f.tier.value, "industry": f.industry,
                  "ownership": f.ownership and f.ownership.value, "size": f.size and f.size.value}
        return {key: value for key, value in values.items() if value}


def _choice(enum, value):
    try:
        return enum(value) if value else None
    except ValueError:
        return None


def _choices() -> list[Organisation]:
    """The organisations the user may evaluate: the unions and bureaus of their subtrees (an
    admin: all of them), in the tree's order."""
    kinds = [kind for kind in OrgKind if not kind.employs_workers]
    stmt = (sa.select(Organisation).where(Organisation.kind.in_(kinds))
            .order_by(Organisation.path).limit(500))
    if not current_user.is_admin:
        stmt = stmt.where(Organisation.in_any_subtree(current_user.organiser_paths))
    return list(db.session.scalars(stmt))


def _query() -> Query:
    """The evaluation asked for, or 403 outside the user's subtrees (404: no such one)."""
    org_id = request.args.get("org", type=int)
    if org_id is None:
        choices = _choices()
        if not choices:
            abort(404)
        organisation = choices[0]
    else:
        organisation = db.get_or_404(Organisation, org_id)
    if not current_user.manages(organisation):
        abort(403)
    this_year = utcnow().year
    year = request.args.get("year", type=int) or this_year
    if not FIRST_YEAR <= year <= this_year + 1:
        year = this_year
    industry = request.args.get("industry") or None
    filters = Filters(tier=_choice(Tier, request.args.get("tier")),
                      industry=industry if industry in SECTIONS else None,
                      ownership=_choice(Ownership, request.args.get("ownership")),
                      size=_choice(EnterpriseSize, request.args.get("size")))
    return Query(organisation, year, filters)


def _series() -> list[str]:
    return [_("Participation rate"), _("Benefit rate")]


@bp.get("/")
@organiser_required
def index():
    query = _query()
    current, previous, points = report_pdf.evaluate_years(query.organisation, query.year,
                                                          query.filters)
    series = _series()
    return render_template(
        "evaluation/index.html", query=query, evaluation=current,
        tables=exports.tables(current, previous), shown=exports.shown, colours=charts.COLOURS,
        trend_chart=charts.trend_chart(points, series),
        district_chart=charts.district_chart(current, series),
        coverage_chart=charts.coverage_chart(current, [_("Coverage")]),
        organisations=_choices(), tiers=list(Tier), sections=SECTIONS,
        ownerships=list(Ownership), sizes=list(EnterpriseSize))


@bp.get("/export.xlsx")
@organiser_required
def export():
    query = _query()
    current = evaluate(query.organisation, query.year, query.filters)
    previous = evaluate(query.organisation, query.year - 1, query.filters)
    content = exports.workbook(exports.tables(current, previous))
    return send_xlsx(content, f"{query.organisation.name}_{query.year}_效能评估")


@bp.get("/report.pdf")
@organiser_required
def report():
    query = _query()
    content = report_pdf.annual_report(query.organisation, query.year, query.filters)
    name = file_name(f"{query.organisation.name}_{query.year}_效能评估报告")
    return no_store(send_file(BytesIO(content), mimetype="application/pdf", as_attachment=True,
                              download_name=f"{name}.pdf"))
