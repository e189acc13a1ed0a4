"""Language selection (Simplified Chinese by default) and template helpers."""

from flask import current_app, g, has_request_context, request
from flask_babel import get_locale, gettext
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


def register_template_helpers(app) -> None:
    app.jinja_env.filters["mask_id"] = masking.mask_id_number
    app.jinja_env.filters["mask_phone"] = masking.mask_phone
    app.jinja_env.filters["mask_name"] = masking.mask_name

    @app.context_processor
    def language_context():
        return {"html_lang": html_lang(), "current_language": str(get_locale()),
                "language_names": LANGUAGE_NAMES}
