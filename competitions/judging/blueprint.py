from flask import Blueprint

bp = Blueprint("judging", __name__, url_prefix="/judging")
