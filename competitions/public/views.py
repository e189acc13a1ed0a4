"""Public pages: the home page and the language switch."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from competitions.accounts.services import set_locale
from competitions.database import utcnow
from competitions.extensions import db
from competitions.forms import is_safe_next
from competitions.i18n import LANGUAGE_COOKIE
from competitions.promotion.levels import SkillLevel
from competitions.public.listings import current_competitions, recent_results, registration_phase

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    """Competitions to take part in or follow, the latest results, and what a visitor can do."""
    now = utcnow()
    return render_template("public/home.html", levels=list(SkillLevel),
                           competitions=[(c, registration_phase(c, now))
                                         for c in current_competitions()],
                           results=recent_results())


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


from competitions.public import certificate_views, contest_views, results_views  # noqa: E402,F401,I001  (routes on this blueprint)
