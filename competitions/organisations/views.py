"""The tier tree: browse, create, edit and move organisations; appoint their organisers."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from competitions.accounts.forms import AppointOrganiserForm
from competitions.accounts.models import Role
from competitions.accounts.permissions import organiser_required
from competitions.accounts.services import find_user_by_username, grant_role
from competitions.contests import drills
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import apply_error, parse_id
from competitions.organisations import profile_import, services
from competitions.organisations.forms import (
    CHOOSE_PARENT,
    MoveForm,
    OrganisationForm,
    ProfileImportForm,
)
from competitions.organisations.industries import SECTIONS
from competitions.organisations.models import Organisation, OrganisationImport, OrgKind, Tier
from competitions.pagination import paginate
from competitions.spreadsheets.download import send_xlsx
from competitions.spreadsheets.forms import ConfirmForm, read_upload

bp = Blueprint("organisations", __name__, url_prefix="/organisations")

CHILDREN_PREVIEW = 20  # children listed under each root on the index page
SEARCH_LIMIT = 50


def _managed_or_403(org_id: int) -> Organisation:
    org = db.get_or_404(Organisation, org_id)
    if not org.can_manage(current_user):
        abort(403)
    return org


def _search_scope() -> list[str] | None:
    """Subtree paths a search may range over: everything for admins."""
    return None if current_user.is_admin else current_user.organiser_paths


@bp.route("/")
@organiser_required
def index():
    roots = services.managed_roots(current_user)
    root_ids = [org.id for org in roots]
    query = request.args.get("q", "").strip()
    found = (services.search_organisations(query, within=_search_scope(), limit=SEARCH_LIMIT)
             if query else None)
    return render_template("organisations/index.html", roots=roots, query=query, found=found,
                           search_limit=SEARCH_LIMIT,
                           children=services.first_children(root_ids, CHILDREN_PREVIEW),
                           counts=services.child_counts(root_ids))


def _render_detail(org: Organisation, appoint_form: AppointOrganiserForm):
    stmt = sa.select(Organisation).where(Organisation.parent_id == org.id)
    page = paginate(stmt.order_by(Organisation.name, Organisation.id))
    may_record_drills = drills.can_record_drills(current_user, org)
    return render_template(
        "organisations/detail.html", org=org, ancestors=services.ancestors_of(org), page=page,
        grandchildren=services.child_counts([child.id for child in page.items]),
        subtree_size=services.count_subtree(org), organisers=services.organisers_of(org),
        appoint_form=appoint_form, industry_sections=SECTIONS,
        may_record_drills=may_record_drills,
        drills=drills.drills_of(org) if may_record_drills else [])


@bp.route("/<int:org_id>")
@organiser_required
def detail(org_id):
    return _render_detail(_managed_or_403(org_id), AppointOrganiserForm())


@bp.route("/<int:org_id>/organisers", methods=["POST"])
@organiser_required
def appoint_organiser(org_id):
    org = _managed_or_403(org_id)
    form = AppointOrganiserForm()
    if form.validate_on_submit():
        user = find_user_by_username(form.username.data)
        if user is None:
            form.username.errors.append(_("There is no account with the username %(name)s.",
                                          name=form.username.data.strip()))
        else:
            try:
                grant_role(current_user, user, Role.ORGANISER, organisation=org)
            except DomainError as error:
                db.session.rollback()
                apply_error(form, error)
            else:
                db.session.commit()
                flash(_("%(user)s is now an organiser of %(org)s.", user=user.display_name,
                        org=org.name), "success")
                return redirect(url_for("organisations.detail", org_id=org.id))
    return _render_detail(org, form)


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def new():
    parent = None
    if request.args.get("parent"):
        parent = _managed_or_403(request.args.get("parent", type=parse_id) or 0)
    elif not current_user.is_admin:
        abort(403)
    form = OrganisationForm(parent_tier=parent.tier if parent else None)
    if request.method == "GET" and parent is not None:
        below = [t for t in Tier if t < parent.tier]
        form.tier.data = below[-1] if below else parent.tier
        form.kind.data = OrgKind.ENTERPRISE if form.tier.data is Tier.ENTERPRISE else OrgKind.UNION
    if form.validate_on_submit():
        try:
            org = services.create_organisation(
                current_user, name=form.name.data, kind=form.kind.data, tier=form.tier.data,
                parent=parent, region_code=form.region_code.data)
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s has been created.", name=org.name), "success")
            return redirect(url_for("organisations.detail", org_id=org.id))
    return render_template("organisations/form.html", form=form, parent=parent, org=None)


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit(org_id):
    org = _managed_or_403(org_id)
    form = OrganisationForm(obj=org, parent_tier=org.parent.tier if org.parent else None,
                            with_profile=org.kind.employs_workers)
    if form.validate_on_submit():
        try:
            services.update_organisation(current_user, org, name=form.name.data,
                                         kind=form.kind.data, tier=form.tier.data,
                                         region_code=form.region_code.data,
                                         profile=form.profile())
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The changes have been saved."), "success")
            return redirect(url_for("organisations.detail", org_id=org.id))
    return render_template("organisations/form.html", form=form, parent=org.parent, org=org)


@bp.route("/<int:org_id>/move", methods=["GET", "POST"])
@organiser_required
def move(org_id):
    org = _managed_or_403(org_id)
    query = request.args.get("q", "").strip()
    found = (services.search_organisations(query, within=_search_scope(), limit=SEARCH_LIMIT)
             if query else [])
    form = MoveForm()
    if form.validate_on_submit():
        new_parent = db.session.get(Organisation, form.parent.data)
        if new_parent is None or not new_parent.can_manage(current_user):
            form.parent.errors.append(CHOOSE_PARENT)  # unknown and out-of-reach ids alike
        else:
            if new_parent not in found:
                found.insert(0, new_parent)  # keep the choice on screen if it is refused
            try:
                services.move_organisation(current_user, org, new_parent)
            except DomainError as error:
                db.session.rollback()
                apply_error(form, error)
            else:
                db.session.commit()
                flash(_("%(name)s now lies under %(parent)s.", name=org.name,
                        parent=new_parent.name), "success")
                return redirect(url_for("organisations.detail", org_id=org.id))
    form.parent.choices = [(o.id, f"{o.name} · {o.tier.label}") for o in found]
    return render_template("organisations/move.html", org=org, form=form, query=query,
                           searched=bool(query))


# The organisation data import (organisations/profile_import.py): template, upload, preview,
# confirm.


def _own_import(import_id) -> OrganisationImport:
    staged = db.get_or_404(OrganisationImport, import_id)
    if not profile_import.can_use(current_user, staged):
        abort(403)
    return staged


@bp.route("/<int:org_id>/import/template.xlsx")
@organiser_required
def import_template(org_id):
    org = _managed_or_403(org_id)
    return send_xlsx(profile_import.template_workbook(org), f"{org.name}-单位数据")


@bp.route("/<int:org_id>/import", methods=["GET", "POST"])
@organiser_required
def import_upload(org_id):
    org = _managed_or_403(org_id)
    form = ProfileImportForm()
    if form.validate_on_submit():
        try:  # a wrong header, a non-spreadsheet or a broken bound shows here
            staged = profile_import.stage_upload(current_user, org, form.file.data.filename,
                                                 read_upload(form.file.data))
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for("organisations.import_preview", import_id=staged.id))
    return render_template("organisations/import_upload.html", org=org, form=form,
                           max_rows=profile_import.MAX_ROWS)


@bp.route("/imports/<int:import_id>")
@organiser_required
def import_preview(import_id):
    staged = _own_import(import_id)
    if staged.imported_at is not None:
        flash(_("This file has already been imported."), "info")
        return redirect(url_for("organisations.detail", org_id=staged.organisation_id))
    try:
        plan = profile_import.preview(staged)
    except profile_import.ImportRejected as error:
        plan = profile_import.ImportPlan(errors=[profile_import.RowError(0, "", error.message)])
    return render_template("organisations/import_preview.html", staged=staged,
                           org=staged.organisation, plan=plan, form=ConfirmForm(),
                           industry_sections=SECTIONS)


@bp.route("/imports/<int:import_id>/confirm", methods=["POST"])
@organiser_required
def import_confirm(import_id):
    staged = _own_import(import_id)
    org_id = staged.organisation_id
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        plan = profile_import.confirm(current_user, staged)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("organisations.import_preview", import_id=import_id))
    db.session.commit()
    flash(_("Updated %(changed)d units; %(unchanged)d were already up to date.",
            changed=len(plan.changes), unchanged=plan.unchanged), "success")
    return redirect(url_for("organisations.detail", org_id=org_id))
