"""GET /healthz: the process answers and its database is reachable."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from clinic.extensions import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:
        db.session.rollback()
        database = "unreachable"
    status = 200 if database == "ok" else 503
    return jsonify({"status": "ok" if status == 200 else "unavailable", "database": database}), status
