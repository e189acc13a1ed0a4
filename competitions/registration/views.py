from flask import Blueprint

bp = Blueprint("registration", __name__, url_prefix="/registration")


@bp.route("/signup")
def sign_up():
    return "stub"


@bp.route("/workers")
def workers():
    return "stub"


@bp.route("/me")
def my_profile():
    return "stub"
