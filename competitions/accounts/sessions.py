"""Login sessions held on the server: started at login, ended at logout, password change,
disablement and "sign out everywhere", and resumed from a remember-me token rotated on use.

The browser holds only random tokens; the database holds their SHA-256 digests (a token is
256 random bits, so a slow hash would add nothing), which is why a copy of the database
cannot be replayed as cookies. Validity is decided when a token is read: idle and absolute
lifetimes are compared with the clock, and nothing has to sweep expired rows for it to hold.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from competitions.accounts.models import LoginSession, User
from competitions.database import utcnow
from competitions.extensions import db

# A session's last-seen time is written at most this often, not on every request.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta
    remember: timedelta


@dataclass(frozen=True)
class Started:
    row: LoginSession
    token: str
    remember_token: str | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def start_session(user: User, lifetimes: Lifetimes, *, remember: bool, user_agent: str = "",
                  now: datetime | None = None) -> Started:
    """A new session for `user` (after a successful login); the caller commits."""
    now = now or utcnow()
    token = _new_token()
    remember_token = _new_token() if remember else None
    row = LoginSession(user=user, token_hash=digest(token), created_at=now, last_seen_at=now,
                       expires_at=now + lifetimes.absolute, user_agent=user_agent[:200],
                       remember_hash=digest(remember_token) if remember_token else None,
                       remember_until=now + lifetimes.remember if remember_token else None)
    db.session.add(row)
    db.session.flush()
    return Started(row, token, remember_token)


def find_session(token: str, lifetimes: Lifetimes, now: datetime | None = None
                 ) -> LoginSession | None:
    """The live session a session cookie's token names, or None (ended, idle, expired,
    disabled account or unknown token)."""
    if not token:
        return None
    now = now or utcnow()
    # Every request of a signed-in user starts here: the user's role grants and worker
    # profile come in this statement (a user has a handful of grants), not one each.
    with_user = joinedload(LoginSession.user).options(joinedload(User.grants),
                                                      joinedload(User.worker))
    row = db.session.scalars(sa.select(LoginSession).options(with_user).where(
        LoginSession.token_hash == digest(token), LoginSession.ended_at.is_(None),
        LoginSession.expires_at > now, LoginSession.last_seen_at > now - lifetimes.idle)
    ).unique().first()
    if row is None or not row.user.active:
        return None
    return row



def find_remembered(token: str, now: datetime | None = None) -> LoginSession | None:
    """The session a remember-me token belongs to, if the token is still good."""
    if not token:
        return None
    now = now or utcnow()
    row = db.session.scalar(sa.select(LoginSession).options(joinedload(LoginSession.user)).where(
        LoginSession.remember_hash == digest(token), LoginSession.ended_at.is_(None),
        LoginSession.remember_until > now))
    if row is None or not row.user.active:
        return None
    return row


def rotate_remembered(row: LoginSession, old_token: str, lifetimes: Lifetimes,
                      now: datetime | None = None) -> Started | None:
    """Resume a remembered session with fresh session and remember tokens.

    Compare-and-set on the old token's digest, so that of two requests presenting the same
    remember-me token at once only one rotates it; the other gets None. Executes and flushes
    only: the caller commits. The remember-me expiry is not extended: rotation renews the
    tokens, not the fourteen days."""
    now = now or utcnow()
    token, remember_token = _new_token(), _new_token()
    changed = db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.id == row.id, LoginSession.remember_hash == digest(old_token),
               LoginSession.ended_at.is_(None))
        .values(token_hash=digest(token), remember_hash=digest(remember_token),
                last_seen_at=now, expires_at=now + lifetimes.absolute)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        return None
    db.session.expire(row)
    return Started(row, token, remember_token)


def touch(session_id: int, now: datetime | None = None) -> None:
    """Record activity on a session (for the idle limit)."""
    db.session.execute(sa.update(LoginSession).where(LoginSession.id == session_id)
                       .values(last_seen_at=now or utcnow())
                       .execution_options(synchronize_session=False))


def needs_touch(row: LoginSession, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at >= TOUCH_EVERY


def end_session(session_id: int, now: datetime | None = None) -> None:
    """End one session and its remember-me token (logout)."""
    db.session.execute(sa.update(LoginSession)
                       .where(LoginSession.id == session_id, LoginSession.ended_at.is_(None))
                       .values(ended_at=now or utcnow(), remember_hash=None)
                       .execution_options(synchronize_session=False))


def end_sessions(user: User, *, keep: int | None = None, now: datetime | None = None) -> int:
    """End every session of `user` but `keep`, and every remember-me token (the kept
    session's too). Returns how many sessions ended."""
    now = now or utcnow()
    base = sa.update(LoginSession).where(LoginSession.user_id == user.id,
                                         LoginSession.ended_at.is_(None))
    others = base if keep is None else base.where(LoginSession.id != keep)
    ended = db.session.execute(others.values(ended_at=now, remember_hash=None)
                               .execution_options(synchronize_session=False)).rowcount
    if keep is not None:
        db.session.execute(sa.update(LoginSession).where(LoginSession.id == keep)
                           .values(remember_hash=None, remember_until=None)
                           .execution_options(synchronize_session=False))
    return ended


def live_sessions(user: User, lifetimes: Lifetimes, now: datetime | None = None
                  ) -> list[LoginSession]:
    """The account page's list: sessions that could still be used (directly or remembered)."""
    now = now or utcnow()
    live = sa.or_(sa.and_(LoginSession.expires_at > now,
                          LoginSession.last_seen_at > now - lifetimes.idle),
                  sa.and_(LoginSession.remember_hash.is_not(None),
                          LoginSession.remember_until > now))
    return list(db.session.scalars(
        sa.select(LoginSession).where(LoginSession.user_id == user.id,
                                      LoginSession.ended_at.is_(None), live)
        .order_by(LoginSession.last_seen_at.desc())))
