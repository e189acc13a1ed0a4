"""Signed checkpoints: every chain's head, signed (Ed25519) and written outside the database.

A checkpoint is one line of JSON appended to AUDIT_CHECKPOINT_PATH (a file on storage the
database's users cannot rewrite; "-" for stdout). Whoever later rolls a head back or cuts a
chain's tail cannot make the log agree with a checkpoint written before, and cannot sign a new
one without the signing key. Publication and finalisation write one; the public notice shows
its fingerprint, so every printed notice anchors the log as well.
"""

import hashlib
import json
import os
import stat
import sys
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from flask import current_app
from sqlalchemy.orm import Session

from competitions.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from competitions.audit.services import canonical_json, write_pending
from competitions.database import utcnow
from competitions.extensions import db

PENDING = "audit_checkpoints_pending"


class CheckpointError(Exception):
    pass


def _signing_key() -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(
            bytes.fromhex(current_app.config["AUDIT_SIGNING_KEY"]))
    except ValueError as error:
        raise CheckpointError("AUDIT_SIGNING_KEY must be 64 hex digits (an Ed25519 seed)") \
            from error


def public_key_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes_raw().hex()


def signing_key_id(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:12]


def signing_public_key() -> str:
    return public_key_hex(_signing_key().public_key())


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """The current signing key's public half and the retired ones (AUDIT_VERIFY_KEYS)."""
    halves = [signing_public_key()] + [
        k.strip() for k in (current_app.config["AUDIT_VERIFY_KEYS"] or "").split(",")
        if k.strip()]
    return {signing_key_id(h): Ed25519PublicKey.from_public_bytes(bytes.fromhex(h))
            for h in halves}


def fingerprint(line: str) -> str:
    """What a notice prints: 20 hex digits of the checkpoint line's SHA-256, in fives."""
    digest = hashlib.sha256(line.encode("utf-8")).hexdigest()[:20]
    return "-".join(digest[i:i + 5] for i in range(0, 20, 5))


def make_checkpoint(reason: str, subject=None) -> AuditCheckpoint:
    """Sign every chain's head as this transaction sees it, keep a copy in the database and
    append the line to the sink once the transaction commits (never for one rolled back)."""
    write_pending()  # the entries this transaction recorded are part of what is signed
    heads = {head.chain: [head.seq, head.last_hash] for head in db.session.scalars(
        sa.select(AuditHead).order_by(AuditHead.chain)
        .execution_options(populate_existing=True))}
    body = {"at": utcnow().isoformat(timespec="microseconds"), "reason": reason,
            "subject": None if subject is None else f"{type(subject).__name__} {subject.id}",
            "heads": heads}
    key = _signing_key()
    body["key_id"] = signing_key_id(public_key_hex(key.public_key()))
    body["signature"] = key.sign(canonical_json(body).encode("utf-8")).hex()
    line = canonical_json(body)
    checkpoint = AuditCheckpoint(
        fingerprint=fingerprint(line), reason=reason, body=line,
        subject_type=None if subject is None else type(subject).__name__,
        subject_id=None if subject is None else str(subject.id))
    db.session.add(checkpoint)
    db.session.flush()
    db.session.info.setdefault(PENDING, []).append(
        (current_app.config["AUDIT_CHECKPOINT_PATH"], line))
    return checkpoint


def append_to_sink(path: str, line: str) -> None:
    if path == "-":
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return
    with open(path, "a", encoding="utf-8") as sink:
        sink.write(line + "\n")
        sink.flush()
        if stat.S_ISREG(os.fstat(sink.fileno()).st_mode):  # a pipe or /dev/null has no fsync
            os.fsync(sink.fileno())


@sa.event.listens_for(Session, "after_commit")
def _write_pending(session):
    for path, line in session.info.pop(PENDING, []):
        try:
            append_to_sink(path, line)
        except OSError:
            # The change is committed and the checkpoint row kept: failing the request now
            # would tell the user it was not. The operator must copy it to the sink by hand.
            current_app.logger.exception("Could not append the audit checkpoint to %s: %s",
                                         path, line)


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)


def latest_checkpoint(subject) -> AuditCheckpoint | None:
    return db.session.scalars(
        sa.select(AuditCheckpoint).where(
            AuditCheckpoint.subject_type == type(subject).__name__,
            AuditCheckpoint.subject_id == str(subject.id))
        .order_by(AuditCheckpoint.id.desc()).limit(1)).first()


# --- verifying against checkpoints ----------------------------------------------------------

@dataclass
class CheckpointProblem:
    line: int
    message: str


def verify_checkpoints(lines) -> tuple[int, list[CheckpointProblem]]:
    """Check each checkpoint's signature, then that every head it signed is still an entry of
    the (already verified) chain: a cut tail or a rolled-back head fails here."""
    trusted = trusted_keys()
    problems, checked = [], 0
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            body = json.loads(text)
            signature = bytes.fromhex(body.pop("signature"))
            key = trusted[body["key_id"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(CheckpointProblem(number, "not a checkpoint signed by a trusted key"))
            continue
        try:
            key.verify(signature, canonical_json(body).encode("utf-8"))
        except InvalidSignature:
            problems.append(CheckpointProblem(number, "its signature does not match"))
            continue
        checked += 1
        for chain, (seq, last_hash) in sorted(body["heads"].items()):
            if seq == 0:
                continue
            recorded = db.session.scalar(sa.select(AuditEntry.hash).where(
                AuditEntry.chain == chain, AuditEntry.chain_seq == seq))
            if recorded is None:
                length = db.session.scalar(sa.select(sa.func.max(AuditEntry.chain_seq))
                                           .where(AuditEntry.chain == chain)) or 0
                problems.append(CheckpointProblem(number, (
                    f"checkpoint of {body['at']} records chain {chain} at entry {seq}, but "
                    f"the log ends at entry {length}: its tail was cut or its head rolled "
                    "back")))
            elif recorded != last_hash:
                problems.append(CheckpointProblem(number, (
                    f"chain {chain} entry {seq} differs from the checkpoint of {body['at']}: "
                    "the chain was rewritten")))
    return checked, problems
