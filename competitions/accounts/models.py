"""Users and the role grants that scope what they may do."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from competitions.database import Base, LabelledEnum, enum_column_type, utcnow
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation


class Scope(LabelledEnum):
    PLATFORM = "platform", _l("Whole platform")
    ORGANISATION = "organisation", _l("Organisation and its subtree")
    COMPETITION = "competition", _l("Competition")
    EVENT = "event", _l("Event")


class Role(LabelledEnum):
    ADMIN = "admin", _l("Platform administrator")
    ORGANISER = "organiser", _l("Organiser")
    HR_OFFICER = "hr_officer", _l("Human-resources officer")
    JUDGE = "judge", _l("Judge")
    CHIEF_JUDGE = "chief_judge", _l("Chief judge")
    ENCRYPTION_OFFICER = "encryption_officer", _l("Encryption officer")
    ARBITRATOR = "arbitrator", _l("Arbitrator")

    @property
    def scopes(self) -> tuple[Scope, ...]:
        """The scopes a grant of this role may carry."""
        return ROLE_SCOPES[self]


ROLE_SCOPES = {
    Role.ADMIN: (Scope.PLATFORM,),
    Role.ORGANISER: (Scope.ORGANISATION,),
    Role.HR_OFFICER: (Scope.ORGANISATION, Scope.COMPETITION),
    Role.JUDGE: (Scope.EVENT,),
    Role.CHIEF_JUDGE: (Scope.EVENT,),
    Role.ENCRYPTION_OFFICER: (Scope.COMPETITION,),
    Role.ARBITRATOR: (Scope.COMPETITION,),
}


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    # The inbox always has every notification; this says whether e-mail copies go out too.
    email_notifications: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    active: Mapped[bool] = mapped_column(default=True)
    # The unit the user works for, when it is not known from a worker profile: judges' conflicts
    # of interest are checked against it.
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    # Throttling state lives in the database so that it holds across processes and hosts.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="RoleGrant.user_id",
        lazy="selectin",
    )

    worker: Mapped[Worker | None] = relationship(  # noqa: F821
        back_populates="user", uselist=False, lazy="selectin"
    )
    employer: Mapped[Organisation | None] = relationship(foreign_keys=[employer_id])

    @property
    def unit(self) -> Organisation | None:
        """Where the user works: the account's own unit, else their worker profile's employer."""
        if self.employer is not None:
            return self.employer
        return self.worker.employer if self.worker is not None else None

    # The token of the login session this object was loaded for (not a column): Flask-Login
    # keeps `get_id()` in the session cookie, so the cookie names a session, never the user.
    session_token = None
    login_session_id = None

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def get_id(self) -> str:
        if self.session_token is None:
            raise AttributeError("this user was not loaded for a login session")
        return self.session_token

    def __eq__(self, other) -> bool:
        # UserMixin compares get_id(), which is now a session's token: two objects for one
        # account are equal by primary key, as they were.
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    __hash__ = UserMixin.__hash__

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def has_role(self, role: Role) -> bool:
        return any(grant.role is role for grant in self.grants)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def organiser_paths(self) -> list[str]:
        """Paths of the organisations this user organises (each covers its subtree)."""
        return [
            grant.organisation.path
            for grant in self.grants
            if grant.role is Role.ORGANISER and grant.organisation is not None
        ]

    @property
    def is_organiser(self) -> bool:
        return bool(self.organiser_paths)

    def manages(self, organisation: Organisation) -> bool:
        """Admins manage everything; organisers manage their organisations' subtrees."""
        if self.is_admin:
            return True
        return any(organisation.path.startswith(path) for path in self.organiser_paths)

    @property
    def hr_paths(self) -> list[str]:
        """Paths of the subtrees this user's HR-officer grants cover."""
        return [(grant.covers or grant.organisation).path for grant in self.grants
                if grant.role is Role.HR_OFFICER and (grant.covers or grant.organisation)]


class LoginSession(Base):
    """One signed-in browser. The session cookie carries a random token whose hash is kept
    here, and the remember-me cookie a second one, rotated each time it is used; ending the
    row (logout, password change, disablement, "sign out everywhere") kills both."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    remember_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    remember_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]  # the absolute end of the session, however active
    ended_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")

    user: Mapped[User] = relationship()

    @property
    def device(self) -> str:
        """The browser and system, for the account page ("Chrome · Android"), or ""."""
        return " · ".join(name for name in (_first_match(BROWSERS, self.user_agent),
                                            _first_match(SYSTEMS, self.user_agent)) if name)


# (token in the User-Agent header, name shown), most specific first: Edge's header also says
# Chrome and Safari, WeChat's built-in browser says Chrome or Safari too.
BROWSERS = [("MicroMessenger", "WeChat"), ("Edg/", "Edge"), ("OPR/", "Opera"),
            ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
SYSTEMS = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
           ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux")]


def _first_match(table: list[tuple[str, str]], header: str) -> str:
    return next((name for token, name in table if token in (header or "")), "")


class AnonymousUser(AnonymousUserMixin):
    """The visitor who has not logged in: holds no role and manages nothing."""

    is_admin = False
    is_organiser = False
    organiser_paths: list[str] = []
    hr_paths: list[str] = []
    grants: list = []
    worker = None

    def has_role(self, role) -> bool:
        return False

    def manages(self, organisation) -> bool:
        return False


class SystemActor:
    """The actor for changes made by the command line and the demo loader."""

    id = None
    username = "system"
    is_admin = True
    is_authenticated = True

    def manages(self, organisation) -> bool:
        return True


SYSTEM = SystemActor()


class RoleGrant(Base):
    """One role held by one user, at one scope (platform, organisation, competition or event)."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column_type(Role))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    competition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("competitions.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id"), index=True)
    # An HR officer's grant names the subtree it covers (the provincial bureau covers the
    # province's union tree, not only the bureau's own node); None: the granted organisation's.
    covers_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship(
        lazy="joined", foreign_keys=[organisation_id])
    covers: Mapped[Organisation | None] = relationship(foreign_keys=[covers_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])

    __table_args__ = (
        sa.CheckConstraint(
            "(CASE WHEN organisation_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN competition_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN event_id IS NULL THEN 0 ELSE 1 END) <= 1",
            name="one_scope",
        ),
    )

    @property
    def scope(self) -> Scope:
        if self.organisation_id is not None:
            return Scope.ORGANISATION
        if self.competition_id is not None:
            return Scope.COMPETITION
        if self.event_id is not None:
            return Scope.EVENT
        return Scope.PLATFORM


class TokenPurpose(LabelledEnum):
    RESET = "reset", _l("Password reset")
    INVITE = "invite", _l("Invitation")
    CLAIM = "claim", _l("Profile claim")


class AccountToken(Base):
    """A one-time secret: a password-reset or invitation link, or a code that claims a worker
    profile. Only its SHA-256 digest is kept; it is used once, before `expires_at`."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column_type(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    sent_to: Mapped[str | None] = mapped_column(sa.String(254))  # None: handed over in person
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)  # wrong codes tried against it

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
