"""Language selection (Simplified Chinese by default) and template helpers."""

from datetime import datetime

from flask import current_app, g, has_request_context, request
from flask_babel import format_date, format_time, get_locale, gettext, ngettext
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape

from competitions import masking


class LazyText(LazyString):
    """A message translated when shown. It is text, never markup.

    Flask-Babel's LazyString has `__html__` return the raw text, so Jinja, Markup and the
    session's flash serialiser all take it as safe HTML, and a user's name interpolated into it
    (`_l("%(name)s is taken", name=...)`) rendered as markup. Here `__html__` escapes it.
    """

    def __html__(self) -> Markup:
        return escape(str(self))


def lazy_gettext(string: str, **variables) -> LazyText:
    """Every lazily translated message in the code comes from here (imported as `_l`)."""
    return LazyText(gettext, string, **variables)


_l = lazy_gettext

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
LOGIN_MESSAGE = _l("Please log in to see this page.")


def select_locale() -> str:
    """The signed-in user's preference, then the language cookie, then Chinese."""
    if not has_request_context():  # CLI commands and services called outside a request
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return _cookie_locale()


def select_locale_offline() -> str:
    """select_locale() for error pages, which must not query: the database may be what failed.

    The user's preference counts only if Flask-Login already loaded the user in this request
    (its `g._login_user`) and the attribute is still in memory; otherwise the cookie decides.
    """
    user = g.get("_login_user")
    preference = getattr(user, "__dict__", {}).get("locale")  # never triggers a load
    if preference in current_app.config["LANGUAGES"]:
        return preference
    return _cookie_locale()


def _cookie_locale() -> str:
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in current_app.config["LANGUAGES"]:
        return cookie
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang() -> str:
    return "zh-CN" if str(get_locale()) == "zh" else "en"


def local_time(moment: datetime) -> str:
    """A stored (naive UTC) moment in the configured time zone, as a deadline is written:
    2026年12月6日 14:00, or December 6, 2026 2:00 PM."""
    return f"{format_date(moment, 'long')} {format_time(moment, 'short')}"


def duration(hours: int) -> str:
    """A period kept in whole hours, in days when it is whole days: 2 小时, 5 天."""
    if hours % 24:
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    return ngettext("%(num)d day", "%(num)d days", hours // 24)


def register_template_helpers(app) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["mask_id"] = masking.mask_id_number
    app.jinja_env.filters["mask_phone"] = masking.mask_phone
    app.jinja_env.filters["mask_name"] = masking.mask_name

    @app.context_processor
    def language_context():
        return {"html_lang": html_lang(), "current_language": str(get_locale()),
                "language_names": LANGUAGE_NAMES}
