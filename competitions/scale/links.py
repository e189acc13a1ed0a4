"""One-time sign-in for the accounts the scale seed creates without a password.

They are the invitation links officials get (accounts/tokens.py, issue 16): opening one asks
for a password, sets it and signs the holder in; the link then dies. Issuing them for tens of
thousands of accounts goes through the same AccountToken rows, written in batches, and keeps
only each secret's SHA-256 digest; the links themselves exist once, in what this returns."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import url_for

from competitions.accounts.models import SYSTEM, AccountToken, Role, RoleGrant, TokenPurpose, User
from competitions.accounts.tokens import LIFETIMES, digest
from competitions.audit.services import record
from competitions.bulk import Writer
from competitions.contests.models import Competition, Event
from competitions.database import utcnow
from competitions.extensions import db
from competitions.notifications import outbox
from competitions.registration.models import Entry, EntryMember, Worker

CHUNK = 1000


def activation_links(usernames: Iterable[str], *,
                     lifetime: timedelta | None = None) -> dict[str, str]:
    """A one-time invitation link for each named account (unknown names are left out), under
    PUBLIC_BASE_URL; earlier unused invitations of those accounts stop working, as with
    tokens.issue. One audit entry for the lot; the caller commits."""
    names = list(dict.fromkeys(usernames))
    now = utcnow()
    expires = now + (lifetime or LIFETIMES[TokenPurpose.INVITE])
    writer = Writer(AccountToken)
    links: dict[str, str] = {}
    with outbox.public_links():  # one request context for all the links, not one each
        for start in range(0, len(names), CHUNK):
            found = db.session.execute(sa.select(User.id, User.username).where(
                User.username.in_(names[start:start + CHUNK]))).all()
            db.session.execute(
                sa.update(AccountToken)
                .where(AccountToken.purpose == TokenPurpose.INVITE,
                       AccountToken.used_at.is_(None), AccountToken.sent_to.is_(None),
                       AccountToken.user_id.in_([user_id for user_id, _name in found]))
                .values(used_at=now).execution_options(synchronize_session=False))
            for user_id, username in found:
                secret = secrets.token_urlsafe(32)
                writer.add({"purpose": TokenPurpose.INVITE, "token_hash": digest(secret),
                            "user_id": user_id, "worker_id": None, "created_by_id": None,
                            "sent_to": None, "created_at": now, "expires_at": expires,
                            "used_at": None, "failed_attempts": 0})
                links[username] = outbox.absolute(url_for("accounts.use_link", secret=secret))
    writer.flush()
    record(SYSTEM, "scale.links", ("User", "scale"),
           after={"links": len(links), "expires_at": expires})
    return links


def competition_accounts(competition_id: int) -> list[tuple[str, str]]:
    """(username, role) of everyone a benchmark of the competition may sign in as: its
    organisers, its and its events' officials, then its entrants ("worker")."""
    competition = db.session.get(Competition, competition_id)
    events = sa.select(Event.id).where(Event.competition_id == competition_id)
    officials = db.session.execute(
        sa.select(User.username, RoleGrant.role).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(sa.or_(RoleGrant.competition_id == competition_id,
                      RoleGrant.event_id.in_(events),
                      sa.and_(RoleGrant.role == Role.ORGANISER,
                              RoleGrant.organisation_id == competition.organiser_id)))
        .order_by(RoleGrant.id)).all()
    entrants = db.session.scalars(
        sa.select(User.username).join(Worker, Worker.user_id == User.id)
        .join(EntryMember, EntryMember.worker_id == Worker.id)
        .join(Entry, Entry.id == EntryMember.entry_id)
        .where(Entry.event_id.in_(events)).order_by(EntryMember.id))
    return ([(name, role.value) for name, role in officials]
            + [(name, "worker") for name in entrants])


def write_links(path: Path, accounts: list[tuple[str, str]], links: dict[str, str]) -> int:
    """A tab-separated file (username, role, link) only its owner may read: the links sign
    in as their accounts. Returns the number of links written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    written = 0
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("username\trole\tlink\n")
        for username, role in accounts:
            if username in links:
                out.write(f"{username}\t{role}\t{links[username]}\n")
                written += 1
    return written
