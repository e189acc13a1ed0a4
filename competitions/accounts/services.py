"""Authentication with lockout, passwords, accounts and role grants."""

from datetime import timedelta

import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant, Scope, User
from competitions.audit.services import record
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation

MIN_PASSWORD_LENGTH = 8


class LoginFailed(DomainError):
    pass


class AccountLocked(LoginFailed):
    pass


class DuplicateAccount(DomainError):
    pass


class WeakPassword(DomainError):
    pass


class InvalidGrant(DomainError):
    pass


def find_user_by_username(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == (username or "").strip()))


def find_user_by_login(login: str) -> User | None:
    """Users log in with their username, phone number or e-mail address."""
    login = (login or "").strip()
    if not login:
        return None
    matches = (User.username == login, User.phone == login,
               sa.func.lower(User.email) == login.lower())
    # Should one account's username be another's phone number, the username wins, always.
    preference = sa.case((matches[0], 0), (matches[1], 1), else_=2)
    return db.session.scalar(sa.select(User).where(sa.or_(*matches))
                             .order_by(preference, User.id).limit(1))


def authenticate(login: str, password: str, *, max_failures: int, lock_minutes: int) -> User:
    """Return the user, or raise LoginFailed/AccountLocked. The caller commits either way."""
    user = find_user_by_login(login)
    now = utcnow()
    if user is None or not user.active:
        raise LoginFailed(_l("Wrong username or password."))
    if user.is_locked(now):
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise AccountLocked(_l("Too many failed attempts: this account is locked. Try again in "
                               "%(minutes)d minutes.", minutes=minutes))
    if not user.check_password(password):
        # Incremented in SQL, so failures from several processes all count.
        db.session.execute(sa.update(User).where(User.id == user.id)
                           .values(failed_logins=User.failed_logins + 1))
        db.session.refresh(user, ["failed_logins"])
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            record(None, "account.lock", user, after={"locked_until": user.locked_until},
                   reason=f"{max_failures} failed logins")
            raise AccountLocked(_l("Too many failed attempts: this account is locked for "
                                   "%(minutes)d minutes.", minutes=lock_minutes))
        raise LoginFailed(_l("Wrong username or password."))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(_l("A password needs at least %(n)d characters.",
                              n=MIN_PASSWORD_LENGTH), field="password")
    if password.isdigit() or password.isalpha():
        raise WeakPassword(_l("A password needs both letters and digits."), field="password")


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise DomainError(_l("The current password is wrong."), field="current_password")
    check_password_strength(new)
    user.set_password(new)
    record(user, "account.password_change", user)


def _check_unique(username: str, email: str | None, phone: str | None,
                  exclude: User | None = None) -> None:
    """Each login name (username, phone or e-mail) must lead to exactly one account."""
    email_column = sa.func.lower(User.email)
    for columns, value, field, message in (
        ((User.username, User.phone, email_column), username, "username",
         _l("The username %(v)s is taken.", v=username)),
        ((email_column, User.username), email, "email",
         _l("The e-mail address %(v)s is already used.", v=email)),
        ((User.phone, User.username), phone, "phone",
         _l("The phone number %(v)s is already used.", v=phone)),
    ):
        if not value:
            continue
        stmt = sa.select(User.id).where(sa.or_(
            *(column == (value.lower() if column is email_column else value)
              for column in columns)))
        if exclude is not None:
            stmt = stmt.where(User.id != exclude.id)
        if db.session.scalar(stmt) is not None:
            raise DuplicateAccount(message, field=field)


def create_user(actor, *, username: str, password: str, display_name: str,
                email: str | None = None, phone: str | None = None) -> User:
    """Create an account. `actor` is None for self sign-up and the CLI."""
    username = username.strip()
    email = (email or "").strip().lower() or None
    phone = (phone or "").strip() or None
    _check_unique(username, email, phone)
    check_password_strength(password)
    user = User(username=username, display_name=display_name.strip(), email=email, phone=phone)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "account.create", user,
           after={"username": username, "display_name": user.display_name})
    return user


def unlock_user(actor, user: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_l("Only a platform administrator can unlock accounts."))
    user.locked_until, user.failed_logins = None, 0
    record(actor, "account.unlock", user)


def set_active(actor, user: User, active: bool) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_l("Only a platform administrator can disable accounts."))
    if user.id == actor.id and not active:
        raise DomainError(_l("You cannot disable your own account."))
    user.active = active
    record(actor, "account.enable" if active else "account.disable", user)


def set_locale(user: User, locale: str) -> None:
    user.locale = locale


def can_grant(actor, role: Role, organisation: Organisation | None = None,
              competition_id: int | None = None, event_id: int | None = None) -> bool:
    """Admins grant anything; organisers appoint organisers within their subtree, and the
    officials (and judges) of the competitions they organise."""
    if actor.is_admin:
        return True
    if role is Role.ORGANISER:
        return organisation is not None and actor.manages(organisation)
    competition = _scope_competition(competition_id, event_id)
    return competition is not None and competition.can_manage(actor)


def _scope_competition(competition_id: int | None, event_id: int | None):
    from competitions.contests.models import Competition, Event  # contests depends on accounts
    if competition_id is not None:
        return db.session.get(Competition, competition_id)
    if event_id is not None:
        event = db.session.get(Event, event_id)
        return event.competition if event else None
    return None


def grant_role(actor, user: User, role: Role, *, organisation: Organisation | None = None,
               competition_id: int | None = None, event_id: int | None = None) -> RoleGrant:
    scope = (Scope.ORGANISATION if organisation is not None else
             Scope.COMPETITION if competition_id is not None else
             Scope.EVENT if event_id is not None else Scope.PLATFORM)
    if scope not in role.scopes:
        raise InvalidGrant(_l("The role %(role)s cannot be granted at the scope %(scope)s.",
                              role=role.label, scope=scope.label), field="role")
    if not can_grant(actor, role, organisation, competition_id, event_id):
        raise PermissionDenied(_l("You may not grant this role here."))
    for grant in user.grants:
        if (grant.role, grant.organisation_id, grant.competition_id, grant.event_id) == (
                role, getattr(organisation, "id", None), competition_id, event_id):
            raise InvalidGrant(_l("%(user)s already holds this role.", user=user.display_name))
    grant = RoleGrant(user=user, role=role, organisation=organisation,
                      competition_id=competition_id, event_id=event_id,
                      granted_by=actor if isinstance(actor, User) else None)
    db.session.add(grant)
    db.session.flush()
    record(actor, "role.grant", grant, after=_grant_snapshot(grant))
    return grant


def revoke_grant(actor, grant: RoleGrant) -> None:
    if not can_grant(actor, grant.role, grant.organisation, grant.competition_id,
                     grant.event_id):
        raise PermissionDenied(_l("You may not revoke this role."))
    if grant.role is Role.ADMIN and grant.user_id == actor.id:
        raise DomainError(_l("You cannot revoke your own administrator role."))
    record(actor, "role.revoke", grant, before=_grant_snapshot(grant))
    grant.user.grants.remove(grant)
    db.session.delete(grant)
    db.session.flush()


def _grant_snapshot(grant: RoleGrant) -> dict:
    return {"user_id": grant.user.id, "role": grant.role,
            "organisation_id": grant.organisation.id if grant.organisation else None,
            "competition_id": grant.competition_id, "event_id": grant.event_id}
