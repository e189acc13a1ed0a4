"""Rate limits on guessing: login (per client address, per account and client, per account
from unknown browsers), anonymous sign-up (per client address), "forgot password" and
profile claims (per client address and per name or ID number typed).

Flask-Limiter counts every attempt before the view runs, with one atomic increment in its
storage (Redis in production, memory in the one-process demo and the tests), so parallel
requests cannot slip past a limit. Several windows per limit make the waits grow (back-off).
Limits are keyed on the name typed, whether or not an account has it, so a throttled unknown
name and a throttled real one look the same.
"""

import hashlib
import math
import time

from flask import current_app, make_response, render_template, request
from flask_limiter.util import get_remote_address

from competitions.accounts import cookies
from competitions.accounts.services import LOGIN_FAILED, find_user_by_login
from competitions.errors import render_error
from competitions.extensions import limiter
from competitions.i18n import lazy_gettext as _l

SIGNUP_THROTTLED = _l("Too many sign-ups from your network. Please try again later.")
TRY_LATER = _l("Too many attempts. Please try again later.")


def _login_name() -> str:
    return (request.form.get("login") or "").strip().lower()


def _login_key() -> str:
    """The typed login name as a key: hashed, so the counters hold no personal data."""
    return hashlib.sha256(_login_name().encode()).hexdigest()[:32]


def _known_device() -> bool:
    """Whether this browser signed in to the typed account before. Asked by two limits per
    request, so looked up once (in the WSGI environ, which belongs to this request)."""
    if "competitions.known_device" not in request.environ:
        user = find_user_by_login(request.form.get("login"))  # as typed: usernames keep case
        request.environ["competitions.known_device"] = (
            user is not None and cookies.is_known_device(user.id))
    return request.environ["competitions.known_device"]


def _account_and_client_key() -> str:
    client = (cookies.device_key() if _known_device() else None) or get_remote_address()
    return f"{_login_key()}:{client}"


def _retry_after(limit) -> int:
    return max(1, math.ceil(limit.reset_at - time.time()))


def _login_throttled(limit):
    from competitions.accounts.forms import LoginForm
    form = LoginForm()
    form.password.errors = [LOGIN_FAILED]
    response = make_response(render_template("accounts/login.html", form=form), 429)
    response.headers["Retry-After"] = str(_retry_after(limit))
    return response


def _signup_throttled(limit):
    response = make_response(render_error(429, SIGNUP_THROTTLED))
    response.headers["Retry-After"] = str(_retry_after(limit))
    return response


def _config(name):
    return lambda: current_app.config[name]


def limit_login(view):
    """The login view's three limits, on POST only."""
    view = limiter.limit(_config("LOGIN_LIMITS_PER_ACCOUNT"), key_func=_login_key,
                         methods=["POST"], exempt_when=_known_device, scope="login-account",
                         on_breach=_login_throttled)(view)
    view = limiter.limit(_config("LOGIN_LIMITS_PER_ACCOUNT_AND_CLIENT"),
                         key_func=_account_and_client_key, methods=["POST"],
                         scope="login-account-client", on_breach=_login_throttled)(view)
    return limiter.limit(_config("LOGIN_LIMITS_PER_ADDRESS"), methods=["POST"],
                         scope="login-address", on_breach=_login_throttled)(view)


def limit_signup(view):
    return limiter.limit(_config("SIGNUP_LIMITS_PER_ADDRESS"), methods=["POST"],
                         scope="signup-address", on_breach=_signup_throttled)(view)


def _typed_key(field: str):
    """A typed value (login name, ID number; in a prefixed form too) as a key, hashed like
    the login name."""
    def key() -> str:
        value = next((v for name, v in request.form.items()
                      if name == field or name.endswith(f"-{field}")), "")
        return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return key


def _try_later(limit):
    response = make_response(render_error(429, TRY_LATER))
    response.headers["Retry-After"] = str(_retry_after(limit))
    return response


def limit_reset(view):
    """"Forgot password": per client address and per name typed, on POST only."""
    view = limiter.limit(_config("RESET_LIMITS_PER_ACCOUNT"), key_func=_typed_key("login"),
                         methods=["POST"], scope="reset-account", on_breach=_try_later)(view)
    return limiter.limit(_config("RESET_LIMITS"), methods=["POST"], scope="reset-address",
                         on_breach=_try_later)(view)


def limit_claim(view):
    """Profile claims and code requests: per client address and per ID number typed."""
    view = limiter.limit(_config("CLAIM_LIMITS_PER_PROFILE"), key_func=_typed_key("id_number"),
                         methods=["POST"], scope="claim-profile", on_breach=_try_later)(view)
    return limiter.limit(_config("CLAIM_LIMITS_PER_ADDRESS"), methods=["POST"],
                         scope="claim-address", on_breach=_try_later)(view)
