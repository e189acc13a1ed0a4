"""Login, logout, password, security, dashboard, and account administration."""

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts import cookies, services, sessions, throttle
from competitions.accounts.blueprint import bp
from competitions.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    SignOutEverywhereForm,
    UserForm,
)
from competitions.accounts.models import Role, RoleGrant, User
from competitions.accounts.permissions import admin_required
from competitions.accounts.roles import grant_places, named_roles
from competitions.accounts.todo import tasks_for
from competitions.certificates.services import certificates_of_worker
from competitions.contests.services import officiating_competitions
from competitions.database import utcnow
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import apply_error, is_safe_next
from competitions.organisations.services import count_subtree, managed_roots
from competitions.pagination import paginate


def _login_policy() -> services.LoginPolicy:
    config = current_app.config
    return services.LoginPolicy(max_failures=config["LOGIN_MAX_FAILURES"],
                                first_wait=config["LOGIN_FIRST_WAIT"],
                                longest_wait=config["LOGIN_LONGEST_WAIT"])


@bp.route("/login", methods=["GET", "POST"])
@throttle.limit_login
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.login.data, form.password.data, _login_policy(),
                                         known_device=cookies.is_known_device)
        except services.LoginFailed as error:
            db.session.commit()  # keep the failure count
            form.password.errors.append(error.message)
            return render_template("accounts/login.html", form=form), error.status
        cookies.begin(user, remember=form.remember.data)
        db.session.commit()
        next_url = request.args.get("next")
        return redirect(next_url if is_safe_next(next_url) else url_for("accounts.dashboard"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    cookies.end()
    db.session.commit()
    flash(_("You have logged out."), "info")
    return redirect(url_for("public.home"))


@bp.route("/security", methods=["GET"])
@login_required
def security():
    return render_template(
        "accounts/security.html", form=SignOutEverywhereForm(),
        sessions=sessions.live_sessions(current_user, cookies.lifetimes()),
        current_session=cookies.current_session_id())


@bp.route("/security/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    form = SignOutEverywhereForm()
    if not form.validate_on_submit():
        abort(400)
    ended = services.sign_out_everywhere(current_user)
    cookies.end()
    db.session.commit()
    flash(_("You have been signed out on every device (%(n)d sessions ended).", n=ended),
          "info")
    return redirect(url_for("accounts.login"))


@bp.route("/dashboard")
@login_required
def dashboard():
    roots = managed_roots(current_user) if (current_user.is_admin or
                                            current_user.is_organiser) else []
    sizes = {org.id: count_subtree(org) for org in roots}
    worker = current_user.worker
    return render_template("accounts/dashboard.html", roots=roots, sizes=sizes, worker=worker,
                           coding=[competition for competition, roles
                                   in officiating_competitions(current_user)
                                   if Role.ENCRYPTION_OFFICER in roles],
                           certificates=certificates_of_worker(worker.id) if worker else [],
                           tasks=tasks_for(current_user),
                           roles=named_roles(current_user.grants))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data,
                                     keep_session=cookies.current_session_id())
        except DomainError as error:
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Your password has been changed. Every other session of your account has "
                    "been signed out."), "success")
            return redirect(url_for("accounts.dashboard"))
    return render_template("accounts/password.html", form=form)


@bp.route("/users")
@admin_required
def users():
    query = request.args.get("q", "").strip()
    stmt = sa.select(User).order_by(User.username)
    if query:
        stmt = stmt.where(sa.or_(User.username.contains(query, autoescape=True),
                                 User.display_name.contains(query, autoescape=True),
                                 User.phone == query, User.email == query.lower()))
    page = paginate(stmt)
    return render_template("accounts/users.html", page=page, query=query)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user, username=form.username.data, password=form.password.data,
                display_name=form.display_name.data, email=form.email.data,
                phone=form.phone.data)
        except DomainError as error:
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("accounts.user", user_id=user.id))
    return render_template("accounts/user_form.html", form=form)


@bp.route("/users/<int:user_id>")
@admin_required
def user(user_id):
    account = db.get_or_404(User, user_id)
    return render_template("accounts/user.html", account=account, now=utcnow(),
                           places=grant_places(account.grants))


def _admin_action(user_id, action, message):
    account = db.get_or_404(User, user_id)
    try:
        action(account)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("accounts.user", user_id=account.id))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@admin_required
def unlock(user_id):
    return _admin_action(user_id, lambda u: services.unlock_user(current_user, u),
                         _("The account is unlocked."))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_required
def set_active(user_id):
    active = request.form.get("active") == "1"
    return _admin_action(user_id, lambda u: services.set_active(current_user, u, active),
                         _("The account is enabled.") if active else _("The account is disabled."))


@bp.route("/users/<int:user_id>/admin", methods=["POST"])
@admin_required
def make_admin(user_id):
    return _admin_action(user_id, lambda u: services.grant_role(current_user, u, Role.ADMIN),
                         _("The account is now a platform administrator."))


@bp.route("/grants/<int:grant_id>/revoke", methods=["POST"])
@login_required
def revoke_grant(grant_id):
    grant = db.get_or_404(RoleGrant, grant_id)
    if not services.can_grant(current_user, grant.role, grant.organisation,
                              grant.competition_id, grant.event_id):
        abort(403)
    try:
        services.revoke_grant(current_user, grant)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The role has been revoked."), "success")
    next_url = request.form.get("next")
    return redirect(next_url if is_safe_next(next_url) else url_for("accounts.dashboard"))
