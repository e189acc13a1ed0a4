"""Organisers find the people who officiate their competitions, and invite new ones.

Who an organiser may find (`visible_people`): administrators find every account; an organiser
finds the accounts whose unit (the account's own, or its worker profile's employer) lies in a
subtree they organise, and anyone who already holds a role in a competition they organise or
in one of its events. Strangers elsewhere on the platform stay out of sight: a name typed into
the search box must not list another province's workers with their phone numbers.
"""

import secrets

import sqlalchemy as sa

from competitions.accounts import mail, tokens
from competitions.accounts.models import Role, RoleGrant, TokenPurpose, User
from competitions.accounts.services import create_user, grant_role
from competitions.audit.services import record
from competitions.contests.models import Competition, Event
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation
from competitions.registration.models import Worker

COMPETITION_ROLES = (Role.ENCRYPTION_OFFICER, Role.ARBITRATOR)
EVENT_ROLES = (Role.CHIEF_JUDGE, Role.JUDGE)
SEARCH_LIMIT = 20


def _officiating_ids(actor) -> sa.Select:
    """The ids of users holding a role in a competition the actor organises, or its events."""
    managed = sa.select(Competition.id).join(Organisation, Organisation.id
                                             == Competition.organiser_id).where(
        Organisation.in_any_subtree(actor.organiser_paths))
    events = sa.select(Event.id).where(Event.competition_id.in_(managed))
    return sa.select(RoleGrant.user_id).where(sa.or_(RoleGrant.competition_id.in_(managed),
                                                     RoleGrant.event_id.in_(events)))


def visible_people(actor) -> sa.ColumnElement[bool]:
    """SQL condition on User: the accounts `actor` may find (see the module's docstring)."""
    if actor.is_admin:
        return sa.true()
    paths = actor.organiser_paths
    in_units = sa.select(Organisation.id).where(Organisation.in_any_subtree(paths))
    workers = sa.select(Worker.user_id).where(Worker.employer_id.in_(in_units),
                                              Worker.user_id.is_not(None))
    return sa.or_(User.employer_id.in_(in_units), User.id.in_(workers),
                  User.id.in_(_officiating_ids(actor)))


def search_people(actor, query: str) -> list[User]:
    """Active accounts the actor may find whose name or username contains `query`, or whose
    phone or e-mail is `query`."""
    query = (query or "").strip()
    if not query:
        return []
    matches = sa.or_(User.display_name.contains(query, autoescape=True),
                     User.username.contains(query, autoescape=True),
                     User.phone == query, sa.func.lower(User.email) == query.lower())
    return list(db.session.scalars(
        sa.select(User).where(matches, User.active, visible_people(actor))
        .order_by(User.display_name, User.id).limit(SEARCH_LIMIT)))


def appoint(actor, competition: Competition, user: User, role: Role,
            event: Event | None = None) -> RoleGrant:
    """Grant a competition role, or an event role (judge, chief judge) in one of its events."""
    from competitions.judging.panels import appoint_official  # judging depends on accounts
    if role in EVENT_ROLES:
        if event is None or event.competition_id != competition.id:
            raise DomainError(_l("Choose the event the judge is appointed to."), field="role")
        return appoint_official(actor, event, user, role)
    if role not in COMPETITION_ROLES:
        raise DomainError(_l("Choose one of the roles offered."), field="role")
    return grant_role(actor, user, role, competition_id=competition.id)


def create_official(actor, competition: Competition, *, display_name: str, email: str | None,
                    phone: str | None, unit: Organisation, role: Role,
                    event: Event | None = None) -> tuple[User, str]:
    """A new account for an official who has none, appointed and invited. Returns the account
    and the invitation link, which the caller shows once (and which is e-mailed if possible)."""
    if not (email or phone):
        raise DomainError(_l("Give an e-mail address or a phone number: the official signs "
                             "in with it."), field="email")
    user = create_user(actor, username=_new_username(), password=None,
                       display_name=display_name, email=email, phone=phone)
    user.employer = unit
    appoint(actor, competition, user, role, event)
    return user, invite(actor, user)


def invite(actor, user: User) -> str:
    """An invitation link for `user` to set their password: e-mailed when they have an
    address, and returned for the organiser to hand over."""
    token, secret = tokens.issue(TokenPurpose.INVITE, actor, user=user, sent_to=user.email)
    link = mail.link_for(secret)
    if user.email:
        mail.queue_mail(user.email, _l("Your account on the skills competitions platform"),
                        "accounts/email_invite.txt", locale=user.locale, user=user, link=link,
                        inviter=actor.display_name, days=tokens.LIFETIMES[token.purpose].days)
    record(actor, "account.invite", user, after={"sent_to": user.email,
                                                 "expires_at": token.expires_at})
    return link


def officials(competition: Competition) -> sa.Select:
    """The ids of users holding a role in `competition` or one of its events."""
    events = sa.select(Event.id).where(Event.competition_id == competition.id)
    return sa.select(RoleGrant.user_id).where(sa.or_(
        RoleGrant.competition_id == competition.id, RoleGrant.event_id.in_(events)))


def not_signed_in(competition: Competition) -> list[User]:
    """The competition's officials who have never signed in: their invitation may be lost."""
    return list(db.session.scalars(sa.select(User).where(
        User.id.in_(officials(competition)), User.last_login_at.is_(None), User.active)
        .order_by(User.display_name, User.id)))


def reinvite(actor, competition: Competition, user: User) -> str:
    """A fresh invitation for an official of `competition` who has never signed in (the first
    expired or went astray); the earlier link stops working."""
    if user.id not in set(db.session.scalars(officials(competition))):
        raise PermissionDenied(_l("Only this competition's officials are invited from here."))
    if user.last_login_at is not None:
        raise DomainError(_l("%(name)s has signed in before: a forgotten password is reset "
                             "from the login page.", name=user.display_name))
    return invite(actor, user)


def _new_username() -> str:
    """Officials sign in with their e-mail or phone; the username only has to be unique."""
    return f"official-{secrets.token_hex(4)}"
