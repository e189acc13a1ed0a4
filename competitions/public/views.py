"""Public pages: the home page and the language switch."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from competitions.accounts.services import set_locale
from competitions.extensions import db
from competitions.forms import is_safe_next
from competitions.i18n import LANGUAGE_COOKIE
from competitions.promotion.levels import SkillLevel

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    return render_template("public/home.html", levels=list(SkillLevel))


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch language: kept in a cookie, and on the account when signed in."""
    language = request.form.get("language")
    next_url = request.form.get("next")
    response = redirect(next_url if is_safe_next(next_url) else url_for("public.home"))
    if language in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600,
                            httponly=True, samesite="Lax")
        if current_user.is_authenticated:
            set_locale(current_user, language)
            db.session.commit()
    return response


from competitions.public import certificate_views, results_views  # noqa: E402,F401,I001  (routes on this blueprint)
