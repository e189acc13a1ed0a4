from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.route("/")
def index():
    return "stub"


@bp.route("/<int:org_id>")
def detail(org_id):
    return "stub"
