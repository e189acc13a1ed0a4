"""A worker claims the profile an organiser created for them (a Worker with no account).

The proof is a code: one their organiser issued (shown once on the worker's page), or one
e-mailed to the address on the profile. The ID number only says which profile is meant;
colleagues know each other's ID and phone numbers, so neither proves anything. Each wrong
code counts against every live code of that profile, which dies after five (on top of the
rate limits per address and per profile), so a code cannot be guessed.

A worker with no account yet claims while signed out: the right code opens a new account
for the profile, in the same transaction. An e-mailed code asked for while signed out is
tied to the profile alone (there is no account to tie it to) and works only signed out.
"""

import re

import sqlalchemy as sa

from competitions.accounts import mail, tokens
from competitions.accounts.models import AccountToken, TokenPurpose, User
from competitions.accounts.services import DuplicateAccount, _check_unique, create_user
from competitions.audit.services import record
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.registration.models import Worker

# Where sign-up leaves an ID number for the claim page: in the session, never in a URL
# (addresses land in server and proxy logs).
SESSION_KEY = "claim_id_number"

CLAIM_FAILED = _l("The ID number or the code is wrong, or the code has expired or been used. "
                  "Check them, or ask your organiser for a new claim code.")
CLAIMABLE = _l("Your unit has already registered a worker profile for this ID number. Do not "
               "sign up again: claim that profile with the claim code from your organiser, or "
               "with a code we e-mail to the address on the profile.")


class ClaimRefused(DomainError):
    pass


class WrongCode(ClaimRefused):
    """The code did not match: the attempt was counted, and the caller commits the count."""


def find_unclaimed(id_number: str | None) -> Worker | None:
    number = (id_number or "").strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):  # stored numbers all have this shape
        return None
    return db.session.scalar(sa.select(Worker).where(Worker.id_number == number,
                                                     Worker.user_id.is_(None)))


def issue_claim_code(actor, worker: Worker) -> str:
    """An organiser's claim code for an unclaimed profile, shown to them once."""
    if not worker.can_edit(actor):
        raise PermissionDenied(_l("You may not issue a claim code for this worker."))
    if worker.user_id is not None:
        raise ClaimRefused(_l("This profile already belongs to an account."))
    token, code = tokens.issue(TokenPurpose.CLAIM, actor, worker=worker)
    record(actor, "worker.claim_code", worker, after={"expires_at": token.expires_at})
    return code


def send_claim_code(user: User | None, id_number: str, *, locale: str | None = None):
    """E-mail a one-time code to the address on the profile, for `user`'s account (None: for
    a new account, asked for while signed out). Returns the masked address it went to, or
    None when the profile has no e-mail address (SMS is not available)."""
    if user is not None:
        _check_claimant(user)
    worker = find_unclaimed(id_number)
    if worker is None:
        raise ClaimRefused(_l("No unclaimed profile has this ID number. Ask your organiser."),
                           field="id_number")
    if not worker.email:
        return None
    token, code = tokens.issue(TokenPurpose.CLAIM, None, user=user, worker=worker,
                               sent_to=worker.email, lifetime=tokens.EMAILED_CODE_LIFETIME)
    mail.queue_mail(worker.email, _l("Your code to claim your worker profile"),
                    "accounts/email_claim_code.txt",
                    locale=user.locale if user is not None else locale, worker=worker,
                    code=code, account=user.username if user is not None else None,
                    minutes=int(tokens.EMAILED_CODE_LIFETIME.total_seconds() // 60))
    record(user, "worker.claim_code_sent", worker, after={
        "sent_to": worker.email, "for_user": user.username if user is not None else None})
    return _masked(worker.email)


def claim_profile(user: User, id_number: str, code: str) -> Worker:
    """Link the profile to `user` if `code` is a live code of it issued to them (an organiser's
    code is for whoever holds it). A wrong code counts against the profile's live codes; the
    caller commits even on WrongCode, so that the count holds."""
    _check_claimant(user)
    worker, token = _redeem(user, id_number, code)
    _link(user, worker, token)
    return worker


def claim_with_new_account(id_number: str, code: str, *, username: str,
                           password: str) -> Worker:
    """Open an account for the profile `code` proves to be the claimant's, and link them: the
    account gets the profile's name, and its phone and e-mail when no other account uses
    them. All or nothing: on any error but WrongCode the caller rolls back."""
    worker, token = _redeem(None, id_number, code)
    email, phone = _free_login(worker.email, "email"), _free_login(worker.phone, "phone")
    try:
        # Two claims with the same new username at once both pass create_user's checks; the
        # unique constraint stops the second, which gets a message instead of an error.
        with db.session.begin_nested():
            user = create_user(None, username=username, password=password,
                               display_name=worker.name, email=email, phone=phone)
    except sa.exc.IntegrityError:
        raise ClaimRefused(_l("Someone has just taken this username. Choose another."),
                           field="username") from None
    _link(user, worker, token)
    return worker


def _redeem(user: User | None, id_number: str, code: str) -> tuple[Worker, AccountToken]:
    """The unclaimed profile and the live code of it that `code` is, or WrongCode after
    counting the attempt against the profile's live codes."""
    worker = find_unclaimed(id_number)
    live = _live_codes(worker, user) if worker is not None else []
    code = tokens.normalise_code(code)
    token = next((t for t in live if tokens.matches(t, code)), None)
    if token is None:
        for each in live:
            each.failed_attempts += 1
        if worker is not None:
            record(user, "worker.claim_failed", worker, after={"codes_left_void": sum(
                not tokens.is_live(t) for t in live)})
        raise WrongCode(CLAIM_FAILED, field="code")
    return worker, token


def _link(user: User, worker: Worker, token: AccountToken) -> None:
    """Spend the code and give the profile to `user`, each once: of two claims at the same
    moment (with the same code, or with two codes of one profile) only the first gets it."""
    tokens.spend(token)
    linked = db.session.execute(
        sa.update(Worker).where(Worker.id == worker.id, Worker.user_id.is_(None))
        .values(user_id=user.id).execution_options(synchronize_session=False)).rowcount
    if linked != 1:
        raise ClaimRefused(_l("This profile already belongs to an account."))
    db.session.expire(worker, ["user_id", "user"])
    db.session.expire(user, ["worker"])
    record(user, "worker.claim", worker, before={"user_id": None},
           after={"user_id": user.id, "by": "organiser_code" if token.sent_to is None
                  else "emailed_code"})


def _free_login(value: str | None, field: str) -> str | None:
    """`value` (a phone or e-mail on the profile) if no account logs in with it yet."""
    if not value:
        return None
    try:
        _check_unique("", value if field == "email" else None,
                      value if field == "phone" else None)
    except DuplicateAccount:
        return None
    return value


def _masked(email: str) -> str:
    """q***@example.cn: enough for the owner to recognise, too little for anyone else."""
    name, _at, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def _check_claimant(user: User) -> None:
    if user.worker is not None:
        raise ClaimRefused(_l("Your account already has a worker profile."))


def _live_codes(worker: Worker, user: User | None) -> list[AccountToken]:
    """The profile's live codes that `user` may use: the organiser's (for whoever holds it)
    and those e-mailed at `user`'s request (at a signed-out request when `user` is None)."""
    now = utcnow()
    owner = AccountToken.user_id.is_(None) if user is None else sa.or_(
        sa.and_(AccountToken.user_id.is_(None), AccountToken.sent_to.is_(None)),
        AccountToken.user_id == user.id)
    return list(db.session.scalars(sa.select(AccountToken).where(
        AccountToken.purpose == TokenPurpose.CLAIM, AccountToken.worker_id == worker.id,
        AccountToken.used_at.is_(None), AccountToken.expires_at > now,
        AccountToken.failed_attempts < tokens.MAX_FAILED_ATTEMPTS, owner)))
