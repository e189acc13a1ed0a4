"""The promotion pages: a competition's promotion rules (its organisers), and the eligibility
list with its decisions and exports (the human-resources officers covering a competition, and
its organisers). Attached to the `promotion` blueprint (views.py imports this module)."""

from __future__ import annotations

from io import BytesIO

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, to_user_timezone
from flask_login import current_user, login_required

from competitions.caching import no_store
from competitions.contests.access import managed_competition
from competitions.contests.models import Competition, Event
from competitions.database import utcnow
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import act, apply_error, parse_id
from competitions.organisations.models import Organisation
from competitions.pagination import paginate
from competitions.promotion import eligibility as service
from competitions.promotion import exports
from competitions.promotion import rules as engine
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import PromotionEligibility
from competitions.promotion.review_forms import (
    CONFIRM,
    CUSTOM,
    LEVELS,
    BatchForm,
    CertificateForm,
    ConfirmForm,
    DeclineForm,
    RulesForm,
    rule_message,
)
from competitions.promotion.views import bp
from competitions.registration.models import Entry
from competitions.results.models import Result
from competitions.spreadsheets.download import send_xlsx

# Presets as the page names them (RULES.md E cites the body; the tier tells tianjin's apart).
PRESET_TITLES = {
    "national_class1_2015": "国家级一类职业技能竞赛",
    "national_skills_2020": "全国技能大赛",
    "tianjin_2024_city1": "市级一类职业技能竞赛",
    "tianjin_2024_city2": "市级二类及区级职业技能竞赛",
    "tianjin_2024_enterprise": "企业、院校职业技能竞赛",
    "anhui_2023": "省级一类行业职业技能竞赛",
}


# --- the rules ------------------------------------------------------------------------------

def _stored_rules(competition: Competition) -> engine.RuleSet | None:
    try:
        return service.rules_of(competition)
    except ValueError:  # rules stored by an older engine: shown as none, replaced on save
        return None


def _entrants(competition: Competition) -> list[tuple[Event, int]]:
    """The competition's events with results, and their entrants."""
    counts = dict(db.session.execute(
        sa.select(Result.event_id, sa.func.count(Result.id))
        .where(Result.event_id.in_([event.id for event in competition.events]),
               Result.is_current())
        .group_by(Result.event_id)).all())
    return [(event, counts[event.id]) for event in competition.events if counts.get(event.id)]


def _preview(competition: Competition, rules: engine.RuleSet | None) -> dict:
    if rules is None:
        return {"rules": None}
    return {"rules": rules, "table": engine.band_table(rules),
            "cutoffs": [(event, entrants, engine.cutoffs(rules, entrants))
                        for event, entrants in _entrants(competition)]}


@bp.route("/competitions/<int:competition_id>/rules", methods=["GET", "POST"])
@login_required
def rules(competition_id):
    competition = managed_competition(competition_id)
    stored = _stored_rules(competition)
    form = RulesForm()
    shown, band_errors = stored, {}
    if request.method == "GET":
        copy = request.args.get("copy")
        if copy in engine.PRESETS:
            shown = engine.preset(copy)
            form.show(shown, custom=True)
        else:
            form.show(stored, custom=stored is not None and stored.name not in engine.PRESETS)
        form.by_organisers.data = competition.promotion_by_organisers
        form.expiry_days.data = competition.promotion_expiry_days
    elif form.validate_on_submit():
        try:
            chosen = form.rule_set(stored)
        except engine.RuleError as error:
            message, band = rule_message(error)
            rows = form.used_rows()
            if band is not None and band < len(rows):
                row = form.bands[rows[band]].form
                band_errors[rows[band]] = message
                flash(_("Band %(n)d (%(label)s): %(message)s", n=rows[band] + 1,
                        label=row.label.data or "—", message=message), "error")
            else:
                form.scheme.errors = [*form.scheme.errors, message]
        else:
            shown = chosen
            if "preview" not in request.form:
                try:
                    service.save_rules(current_user, competition, chosen,
                                       by_organisers=form.by_organisers.data,
                                       expiry_days=form.expiry_days.data)
                except DomainError as error:
                    db.session.rollback()
                    apply_error(form, error)
                else:
                    db.session.commit()
                    flash(_("Promotion rules saved."), "success")
                    return redirect(url_for("promotion.rules", competition_id=competition.id))
    presets = {name: {"title": PRESET_TITLES.get(name, ""), "cited_as": preset.cited_as,
                      "table": engine.band_table(preset)}
               for name, preset in engine.PRESETS.items()}
    return render_template("promotion/rules.html", competition=competition, form=form,
                           presets=presets, preview=_preview(competition, shown),
                           band_errors=band_errors, custom=CUSTOM, stored=stored)


# --- the eligibility list -------------------------------------------------------------------

def _filters() -> exports.Filters:
    """The list's filters from the query string; a value no filter takes is a 404."""
    args = request.args
    try:
        competition_id = parse_id(args["competition"]) if args.get("competition") else None
        unit_id = parse_id(args["unit"]) if args.get("unit") else None
        level = SkillLevel(args["level"]) if args.get("level") else None
    except ValueError:
        abort(404)
    status = args.get("status", exports.ELIGIBLE)
    if status not in exports.STATUS_FILTERS:
        abort(404)
    unit = db.get_or_404(Organisation, unit_id) if unit_id else None
    if competition_id is not None:
        competition = db.get_or_404(Competition, competition_id)
        if not service.can_view(current_user, competition):
            abort(403)
    return exports.Filters(competition_id=competition_id, unit=unit, level=level,
                           status=status)


def _visible_competitions() -> list[Competition]:
    """The competitions whose eligibilities the user sees; none: the page is not for them."""
    found = [competition for competition in db.session.scalars(
        sa.select(Competition).order_by(Competition.year.desc(), Competition.id.desc()))
        if service.can_view(current_user, competition)]
    if not found:
        abort(403)
    return found


def _units(competitions: list[Competition]) -> list[Organisation]:
    """The units a list may be narrowed to: the organisers and the entrants' units."""
    ids = {competition.organiser_id for competition in competitions}
    ids |= set(db.session.scalars(
        sa.select(Entry.unit_id).join(PromotionEligibility,
                                      PromotionEligibility.entry_id == Entry.id)
        .where(PromotionEligibility.competition_id.in_([c.id for c in competitions]))
        .distinct()))
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids))
                                   .order_by(Organisation.path)))


def _back(filters: exports.Filters):
    return redirect(url_for("promotion.eligibilities", **filters.args))


@bp.route("/eligibilities")
@login_required
def eligibilities():
    competitions = _visible_competitions()
    filters = _filters()
    now = utcnow()
    page = paginate(exports.statement(current_user, filters, now))
    rows = exports.rows_for(current_user, list(page.items), now)
    return render_template(
        "promotion/eligibilities.html", rows=rows, page=page, filters=filters,
        competitions=competitions, units=_units(competitions),
        levels=LEVELS, level_names=engine.LEVEL_NAMES,
        statuses=status_choices(), confirm_form=ConfirmForm(), decline_form=DeclineForm(),
        certificate_form=CertificateForm(), batch_form=BatchForm(),
        any_reviewable=any(row.can_review and row.status == "pending" for row in rows))


def status_choices() -> list[tuple[str, str]]:
    return [("", _("Eligible (every status)")), ("pending", _("Awaiting review")),
            ("expired", _("Expired without a decision")),
            ("review", _("To be looked at again (results reopened)")),
            ("confirmed", _("Confirmed")), ("declined", _("Declined")),
            ("ineligible", _("Not eligible")), ("all", _("Everyone assessed"))]


def _eligibility(eligibility_id) -> PromotionEligibility:
    eligibility = db.get_or_404(PromotionEligibility, eligibility_id)
    if not service.can_view(current_user, db.session.get(Competition,
                                                         eligibility.competition_id)):
        abort(403)
    return eligibility


@bp.route("/eligibilities/<int:eligibility_id>/confirm", methods=["POST"])
@login_required
def confirm(eligibility_id):
    eligibility = _eligibility(eligibility_id)
    filters = _filters()
    form = ConfirmForm()
    if act(form, lambda: service.confirm(current_user, eligibility,
                                         document_no=form.document_no.data,
                                         certificate_no=form.certificate_no.data)):
        flash(_("Promotion confirmed: the level is recorded."), "success")
    return _back(filters)


@bp.route("/eligibilities/<int:eligibility_id>/decline", methods=["POST"])
@login_required
def decline(eligibility_id):
    eligibility = _eligibility(eligibility_id)
    filters = _filters()
    form = DeclineForm()
    if act(form, lambda: service.decline(current_user, eligibility, reason=form.reason.data)):
        flash(_("Promotion declined; the worker and their unit are told why."), "success")
    return _back(filters)


@bp.route("/eligibilities/<int:eligibility_id>/certificate", methods=["POST"])
@login_required
def certificate(eligibility_id):
    eligibility = _eligibility(eligibility_id)
    filters = _filters()
    form = CertificateForm()
    if act(form, lambda: service.add_certificate(current_user, eligibility,
                                                 form.certificate_no.data)):
        flash(_("Certificate number recorded."), "success")
    return _back(filters)


@bp.route("/eligibilities/batch", methods=["POST"])
@login_required
def batch():
    """All the ticked rows or none: the first refusal rolls every decision back, named."""
    _visible_competitions()
    filters = _filters()
    form = BatchForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return _back(filters)
    found = {e.id: e for e in db.session.scalars(
        sa.select(PromotionEligibility).where(PromotionEligibility.id.in_(form.ids.data)))}
    if len(found) != len(set(form.ids.data)):
        abort(404)
    now = utcnow()
    ordered = [found[i] for i in dict.fromkeys(form.ids.data)]
    rows = {row.eligibility.id: row for row in exports.rows_for(current_user, ordered, now)}
    for eligibility in ordered:
        try:
            if form.action.data == CONFIRM:
                service.confirm(current_user, eligibility, document_no=form.document_no.data,
                                now=now)
            else:
                service.decline(current_user, eligibility, reason=form.reason.data, now=now)
        except DomainError as error:
            db.session.rollback()
            row = rows[eligibility.id]
            flash(_("Nothing was saved. %(name)s (%(event)s): %(message)s", name=row.name,
                    event=row.event, message=error.message), "error")
            return _back(filters)
    db.session.commit()
    flash(ngettext("%(num)d decision saved.", "%(num)d decisions saved.", len(ordered)),
          "success")
    return _back(filters)


# --- exports --------------------------------------------------------------------------------

@bp.route("/eligibilities.xlsx")
@login_required
def eligibilities_xlsx():
    _visible_competitions()
    filters = _filters()
    rows = exports.eligibility_rows(current_user, filters)
    content = exports.export_xlsx(current_user, filters, rows)
    db.session.commit()
    return send_xlsx(content, "晋升资格名单")


@bp.route("/eligibilities.pdf")
@login_required
def eligibilities_pdf():
    _visible_competitions()
    filters = _filters()
    now = utcnow()
    rows = list(exports.eligibility_rows(current_user, filters, now, full_ids=False))
    competition = db.session.get(Competition, filters.competition_id) \
        if filters.competition_id else None
    title = f"{competition.name} 晋升职业技能等级人员名单" if competition \
        else "竞赛晋升职业技能等级人员名单"
    content = exports.render_pdf(title, rows, printed_at=to_user_timezone(now),
                                 issuer=competition.organiser.name if competition else "")
    return no_store(send_file(BytesIO(content), mimetype="application/pdf", as_attachment=True,
                              download_name="晋升职业技能等级人员名单.pdf"))
