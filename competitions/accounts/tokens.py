"""One-time secrets: password-reset and invitation links, and profile claim codes.

The holder gets the secret once (in an e-mail, or from the organiser's screen); the database
keeps only its SHA-256 digest, so a copy of the table cannot be turned into working links.
A link is 256 random bits; a claim code is 8 characters a person can read out and type, which
is why codes also die after MAX_FAILED_ATTEMPTS wrong tries and are throttled per address.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa

from competitions.accounts.models import AccountToken, TokenPurpose
from competitions.database import utcnow
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l

LIFETIMES = {TokenPurpose.RESET: timedelta(hours=1), TokenPurpose.INVITE: timedelta(days=7),
             TokenPurpose.CLAIM: timedelta(days=14)}
EMAILED_CODE_LIFETIME = timedelta(hours=1)
# No 0/O, 1/I/L: a code read out over the phone or copied from paper is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_FAILED_ATTEMPTS = 5

LINK_INVALID = _l("This link has expired or has already been used. Ask for a new one.")


class TokenInvalid(DomainError):
    pass


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(token: AccountToken, secret: str) -> bool:
    return hmac.compare_digest(token.token_hash, digest(secret))


def normalise_code(code: str) -> str:
    """As typed: any case, with spaces or dashes ("abcd-efgh")."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def issue(purpose: TokenPurpose, actor, *, user=None, worker=None, sent_to: str | None = None,
          lifetime: timedelta | None = None) -> tuple[AccountToken, str]:
    """A new token and its secret (a link secret, or a code for a claim). Earlier unused
    tokens for the same purpose, holder and channel are voided: only the newest works."""
    now = utcnow()
    if purpose is TokenPurpose.CLAIM:
        secret = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    else:
        secret = secrets.token_urlsafe(32)
    db.session.execute(
        sa.update(AccountToken)
        .where(AccountToken.purpose == purpose, AccountToken.used_at.is_(None),
               _same(AccountToken.user_id, getattr(user, "id", None)),
               _same(AccountToken.worker_id, getattr(worker, "id", None)),
               AccountToken.sent_to.is_(None) if sent_to is None
               else AccountToken.sent_to.is_not(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    token = AccountToken(purpose=purpose, token_hash=digest(secret), user=user,
                         worker_id=getattr(worker, "id", None),
                         created_by_id=getattr(actor, "id", None), sent_to=sent_to,
                         created_at=now, expires_at=now + (lifetime or LIFETIMES[purpose]))
    db.session.add(token)
    db.session.flush()
    return token, secret


def _same(column, value) -> sa.ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def is_live(token: AccountToken, now=None) -> bool:
    now = now or utcnow()
    return (token.used_at is None and token.expires_at > now
            and token.failed_attempts < MAX_FAILED_ATTEMPTS)


def find_link(secret: str, *purposes: TokenPurpose) -> AccountToken:
    """The live token a link's secret names, or TokenInvalid (unknown, used or expired)."""
    token = db.session.scalar(sa.select(AccountToken).where(
        AccountToken.token_hash == digest(secret or ""), AccountToken.purpose.in_(purposes)))
    if token is None or token.user is None or not is_live(token):
        raise TokenInvalid(LINK_INVALID)
    return token


def spend(token: AccountToken) -> None:
    """Mark the token used, once: of two posts of the same link only the first gets through."""
    now = utcnow()
    spent = db.session.execute(
        sa.update(AccountToken).where(AccountToken.id == token.id,
                                      AccountToken.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if spent != 1:
        raise TokenInvalid(LINK_INVALID)
    token.used_at = now
