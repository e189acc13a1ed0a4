"""Authentication with lockout, passwords, accounts and role grants."""

import functools
import gzip
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from competitions.accounts import models, sessions
from competitions.accounts.models import Role, RoleGrant, Scope, User
from competitions.audit.services import record
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation
from competitions.text_rules import find_text_problem

MIN_PASSWORD_LENGTH = 8
MIN_DISTINCT_CHARACTERS = 4
COMMON_PASSWORDS = Path(__file__).with_name("data") / "common-passwords.txt.gz"


class LoginFailed(DomainError):
    status = 200


class LoginThrottled(LoginFailed):
    """The account waits after failures: the same message, and 429 like the rate limits."""

    status = 429


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
    if not login or find_text_problem(login):  # e.g. a NUL, which PostgreSQL cannot compare
        return None
    matches = (User.username == login, User.phone == login,
               sa.func.lower(User.email) == login.lower())
    # Should one account's username be another's phone number, the username wins, always.
    preference = sa.case((matches[0], 0), (matches[1], 1), else_=2)
    return db.session.scalar(sa.select(User).where(sa.or_(*matches))
                             .order_by(preference, User.id).limit(1))


LOGIN_FAILED = _l("Wrong username or password, or too many attempts. Check them and try "
                  "again in a few minutes.")


@dataclass(frozen=True)
class LoginPolicy:
    """After `max_failures` consecutive failures an account waits before each further try:
    `first_wait`, doubling with each failure, never more than `longest_wait`."""

    max_failures: int
    first_wait: timedelta
    longest_wait: timedelta

    def waits(self) -> list[timedelta]:
        """The wait after the max_failures-th failure, the next, … up to the longest."""
        waits, wait = [], self.first_wait
        while wait < self.longest_wait:
            waits.append(wait)
            wait *= 2
        return [*waits, self.longest_wait]


@functools.cache
def _dummy_hash() -> str:
    # Through the models module, so it is made the way real passwords are hashed.
    return models.generate_password_hash(secrets.token_hex(16))


def _spend_a_hash(password: str) -> None:
    """Check the password against a dummy hash, so a refusal takes as long as a wrong
    password for a real account: timing must not tell which names exist."""
    check_password_hash(_dummy_hash(), password or "")


def _reserve_attempt(user: User, policy: LoginPolicy, now: datetime) -> int | None:
    """Count this attempt as a failure before the password is checked, in one conditional
    UPDATE … RETURNING: of any number of parallel guesses, only those that find the account
    unlocked get through, and the failure that reaches the limit sets the wait in the same
    statement. Returns the new failure count, or None while the account must wait."""
    count = User.failed_logins + 1
    waits = policy.waits()
    lock_end = sa.case(
        (count < policy.max_failures, None),
        *((count == policy.max_failures + step, now + wait)
          for step, wait in enumerate(waits[:-1])),
        else_=now + waits[-1])
    return db.session.scalar(
        sa.update(User)
        .where(User.id == user.id,
               sa.or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=count, locked_until=lock_end)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False))


def authenticate(login: str, password: str, policy: LoginPolicy,
                 known_device: Callable[[int], bool] = lambda user_id: False) -> User:
    """Return the user, or raise LoginFailed with one message whatever the reason (unknown
    name, wrong password, disabled account, waiting after failures), after the same work.

    Failures count towards the account's wait only from browsers that have not signed in to
    it before (`known_device`), so a stranger's guesses never make its owner wait; known
    browsers are throttled by the rate limits alone. The caller commits either way."""
    now = utcnow()
    user = find_user_by_login(login)
    if user is None or not user.active:
        _spend_a_hash(password)
        raise LoginFailed(LOGIN_FAILED)
    known = known_device(user.id)
    failures = None if known else _reserve_attempt(user, policy, now)
    if failures is None and not known:
        _spend_a_hash(password)
        raise LoginThrottled(LOGIN_FAILED)
    if not user.check_password(password):
        if failures == policy.max_failures:
            record(None, "account.lock", user, reason=f"{failures} failed logins")
        raise LoginFailed(LOGIN_FAILED)
    db.session.execute(sa.update(User).where(User.id == user.id)
                       .values(failed_logins=0, locked_until=None, last_login_at=now)
                       .execution_options(synchronize_session=False))
    db.session.refresh(user)
    return user


@functools.cache
def _common_passwords() -> frozenset[str]:
    """Django's list of 20,000 common passwords (see data/LICENSE-django.txt)."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def is_common_password(password: str) -> bool:
    return password.strip().lower() in _common_passwords()


def check_password_strength(password: str) -> None:
    """At least 8 characters besides surrounding spaces, letters and digits, not a list of
    one repeated character, and not one of the common passwords."""
    core = password.strip()
    if len(core) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(_l("A password needs at least %(n)d characters (spaces at either "
                              "end do not count).", n=MIN_PASSWORD_LENGTH), field="password")
    if not (any(c.isdigit() for c in core) and any(c.isalpha() for c in core)):
        raise WeakPassword(_l("A password needs both letters and digits."), field="password")
    if len(set(core)) < MIN_DISTINCT_CHARACTERS or is_common_password(core):
        raise WeakPassword(_l("This password is too common or too easy to guess: choose "
                              "another."), field="password")


def change_password(user: User, current: str, new: str, *, keep_session: int | None) -> None:
    """Change the password and end every other session of the account (and every
    remember-me token); `keep_session` is the session the change was made from."""
    if not user.check_password(current):
        raise DomainError(_l("The current password is wrong."), field="current_password")
    check_password_strength(new)
    user.set_password(new)
    ended = sessions.end_sessions(user, keep=keep_session)
    record(user, "account.password_change", user, after={"sessions_ended": ended})


def sign_out_everywhere(user: User) -> int:
    """End every session and remember-me token of the account, this one included."""
    ended = sessions.end_sessions(user)
    record(user, "account.sign_out_everywhere", user, after={"sessions_ended": ended})
    return ended


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


def create_user(actor, *, username: str, password: str | None, display_name: str,
                email: str | None = None, phone: str | None = None) -> User:
    """Create an account. `actor` is None for self sign-up and the CLI. Without a password
    the account gets a random one nobody knows, until its holder sets one from a link."""
    username = username.strip()
    email = (email or "").strip().lower() or None
    phone = (phone or "").strip() or None
    _check_unique(username, email, phone)
    if password is not None:
        check_password_strength(password)
    user = User(username=username, display_name=display_name.strip(), email=email, phone=phone)
    user.set_password(password if password is not None else secrets.token_urlsafe(32))
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
    if not active:
        sessions.end_sessions(user)
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
               competition_id: int | None = None, event_id: int | None = None,
               covers: Organisation | None = None) -> RoleGrant:
    """`covers`: for an HR officer, the subtree the grant covers (the provincial bureau's
    officer covers the province's union tree); the granting actor must manage it."""
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
    if covers is not None and (role is not Role.HR_OFFICER or not actor.manages(covers)):
        raise InvalidGrant(_l("Only an HR officer's grant covers a subtree, one the granting "
                              "organiser manages."), field="covers")
    grant = RoleGrant(user=user, role=role, organisation=organisation,
                      competition_id=competition_id, event_id=event_id, covers=covers,
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
            "competition_id": grant.competition_id, "event_id": grant.event_id,
            **({"covers_id": grant.covers_id} if grant.covers_id else {})}
