"""Password reset by a one-time link, and the invitation link's first password.

A reset link comes by e-mail to an account's own address (self-service), or from an organiser
for a worker of their subtree: never for an account holding an organiser's or an official's
role, whose password only the holder (or an administrator) may reset, since a link an
organiser hands over would let that organiser act as a judge. Using a link sets the password,
spends the link, ends every session of the account and tells its holder.
"""

from competitions.accounts import mail, sessions, tokens
from competitions.accounts.models import TokenPurpose, User
from competitions.accounts.services import check_password_strength, find_user_by_login
from competitions.audit.services import record
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.i18n import lazy_gettext as _l
from competitions.notifications.services import notify


def request_reset(login: str) -> None:
    """Self-service: e-mail a reset link if `login` names an active account with an e-mail
    address; otherwise do nothing. The caller says the same thing either way."""
    user = find_user_by_login(login)
    if user is None or not user.active or not user.email:
        return
    token, secret = tokens.issue(TokenPurpose.RESET, None, user=user, sent_to=user.email)
    mail.queue_mail(user.email, _l("Reset your password"), "accounts/email_reset.txt",
                    locale=user.locale, user=user, link=mail.link_for(secret),
                    minutes=int(tokens.LIFETIMES[TokenPurpose.RESET].total_seconds() // 60))
    record(None, "account.reset_request", user, after={"sent_to": user.email,
                                                       "expires_at": token.expires_at})


def can_issue_reset(actor, user: User) -> bool:
    """Organisers issue reset links for the workers of their subtree whose accounts hold no
    role at all; administrators for any account that is not an administrator's."""
    if actor.is_admin:
        return not user.is_admin
    unit = user.unit
    return unit is not None and actor.manages(unit) and not user.grants


def issue_reset(actor, user: User) -> str:
    """A reset link for an organiser to hand over (also e-mailed if the worker has an
    address). Refused for accounts holding an organiser's or official's role."""
    if not user.active:
        raise DomainError(_l("This account is disabled."))
    if not can_issue_reset(actor, user):
        raise PermissionDenied(_l("You can issue a password-reset link only for a worker of "
                                  "your units whose account holds no organiser or official "
                                  "role. Officials reset their own password from the login "
                                  "page, or ask a platform administrator."))
    token, secret = tokens.issue(TokenPurpose.RESET, actor, user=user, sent_to=user.email)
    link = mail.link_for(secret)
    if user.email:
        mail.queue_mail(user.email, _l("Reset your password"), "accounts/email_reset.txt",
                        locale=user.locale, user=user, link=link,
                        minutes=int(tokens.LIFETIMES[TokenPurpose.RESET].total_seconds() // 60))
    record(actor, "account.reset_issue", user, after={"sent_to": user.email,
                                                      "expires_at": token.expires_at})
    return link


def set_password_from_link(secret: str, password: str) -> tuple[User, TokenPurpose]:
    """Set the password of the link's account and spend the link; every session of the
    account ends. Raises TokenInvalid (changing nothing) for a used or expired link."""
    token = tokens.find_link(secret, TokenPurpose.RESET, TokenPurpose.INVITE)
    check_password_strength(password)
    tokens.spend(token)
    user = token.user
    user.set_password(password)
    user.failed_logins, user.locked_until = 0, None
    ended = sessions.end_sessions(user)
    if token.purpose is TokenPurpose.RESET:
        issuer = token.created_by
        notify(user.id, "password_reset", at=utcnow().isoformat(),
               by=issuer.display_name if issuer is not None else None)
        record(user, "account.password_reset", user,
               after={"sessions_ended": ended, "issued_by": getattr(issuer, "username", None),
                      "issued_at": token.created_at})
    else:
        record(user, "account.invite_accept", user, after={"sessions_ended": ended})
    return user, token.purpose
