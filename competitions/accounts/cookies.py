"""The browser's side of login sessions: the session cookie names a server-side session,
the remember-me cookie a rotating token, and the known-device cookie says this browser has
signed in to an account before (so failures elsewhere do not make it wait)."""

from datetime import timedelta

from flask import current_app, request, session
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import SQLAlchemyError

from competitions.accounts import sessions
from competitions.accounts.models import User
from competitions.extensions import db

REMEMBER_COOKIE = "remember"
DEVICE_COOKIE = "device"
LEGACY_REMEMBER_COOKIE = "remember_token"  # Flask-Login's "<user id>|<HMAC>", never honoured


def lifetimes() -> sessions.Lifetimes:
    config = current_app.config
    return sessions.Lifetimes(idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
                              absolute=config["PERMANENT_SESSION_LIFETIME"],
                              remember=config["REMEMBER_COOKIE_DURATION"])


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the session cookie's token → the live session's user."""
    row = sessions.find_session(token, lifetimes())
    if row is None:
        return None
    if sessions.needs_touch(row):
        _state()["touch_session"] = row.id
    row.user.session_token, row.user.login_session_id = token, row.id
    return row.user


def load_remembered_user(_request) -> User | None:
    """Flask-Login's request loader: resume a remembered session, rotating its tokens."""
    token = request.cookies.get(REMEMBER_COOKIE)
    if not token:
        return None
    row = sessions.find_remembered(token)
    if row is None:
        _state()["forget_remember"] = True
        return None
    started = sessions.rotate_remembered(row, token, lifetimes())
    if started is None:
        # Another request (a second tab) rotated this token a moment ago; its response sets
        # the new cookies, so this one must not delete them.
        return None
    db.session.commit()  # the user is loaded before any view runs: nothing else is pending
    session.clear()
    session.permanent = True
    session["_user_id"] = started.token
    session["_fresh"] = False
    _state()["new_remember_token"] = started.remember_token
    user = started.row.user
    user.session_token, user.login_session_id = started.token, started.row.id
    return user


def begin(user: User, *, remember: bool) -> None:
    """Sign `user` in on this browser: a new server-side session; the caller commits."""
    started = sessions.start_session(user, lifetimes(), remember=remember,
                                     user_agent=request.user_agent.string)
    session.clear()  # nothing from before the login survives it
    session.permanent = True
    user.session_token, user.login_session_id = started.token, started.row.id
    login_user(user)
    _state().update(new_remember_token=started.remember_token, forget_remember=not remember,
                    known_device=user.id)


def end() -> None:
    """Sign out of this browser: end its session and remember-me token; the caller commits."""
    session_id = current_session_id()
    if session_id is not None:
        sessions.end_session(session_id)
    logout_user()
    session.clear()
    _state()["forget_remember"] = True


def current_session_id() -> int | None:
    """The server-side session of this request's signed-in user (loading the user if need
    be), or None."""
    return getattr(current_user._get_current_object(), "login_session_id", None)


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="known-device")


def is_known_device(login_user_id: int | None) -> bool:
    """Whether this browser has signed in to the account `login_user_id` before."""
    if login_user_id is None:
        return False
    try:
        user_id = _device_serializer().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        return False
    return user_id == login_user_id


def device_key() -> str | None:
    """The known-device cookie as a throttling key (its signature), when it is one."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    try:
        _device_serializer().loads(value)
    except BadSignature:
        return None
    return value.rpartition(".")[2]


def _state() -> dict:
    """What this request has to tell write_cookies. Kept in the WSGI environ, which belongs to
    one request, rather than on `g`, which test clients share between requests."""
    return request.environ.setdefault("competitions.login_cookies", {})


def write_cookies(response):
    """after_request: record activity, and set or clear the remember-me and device cookies."""
    state = _state()
    touched = state.get("touch_session")
    if touched is not None:
        db.session.rollback()  # the view has finished: anything it did not commit is dropped
        try:
            sessions.touch(touched)
            db.session.commit()
        except SQLAlchemyError:  # a missed last-seen time must not cost the response
            current_app.logger.warning("could not record activity on session %s", touched)
            db.session.rollback()
    config = current_app.config
    cookie = {"httponly": True, "samesite": "Lax", "secure": request.is_secure}
    new_token = state.get("new_remember_token")
    if new_token:
        response.set_cookie(REMEMBER_COOKIE, new_token,
                            max_age=int(config["REMEMBER_COOKIE_DURATION"].total_seconds()),
                            **cookie)
    elif state.get("forget_remember") and REMEMBER_COOKIE in request.cookies:
        response.delete_cookie(REMEMBER_COOKIE, httponly=True, samesite="Lax")
    if LEGACY_REMEMBER_COOKIE in request.cookies:
        response.delete_cookie(LEGACY_REMEMBER_COOKIE)
    known = state.get("known_device")
    if known is not None:
        response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps(known),
                            max_age=int(timedelta(days=365).total_seconds()), **cookie)
    return response


def _load_user_first() -> None:
    """before_request: load the user before any view code runs, so that the loaders' own
    writes (a rotated remember-me token) never commit anything of a view's."""
    if request.endpoint != "static":
        current_user._get_current_object()


def register(app, login_manager) -> None:
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_remembered_user)
    app.before_request(_load_user_first)
    app.after_request(write_cookies)
