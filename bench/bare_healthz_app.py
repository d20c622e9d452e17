"""The baseline of the health check benchmark: a minimal Flask-SQLAlchemy app answering `/healthz` with the
same query and the same JSON body as the clinic's, and nothing else (no logging set-up, no sessions, no
hooks, the engine's default pool). Run it with `DATABASE_URL=... gunicorn bench.bare_healthz_app:app`.
"""

import os

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)


@app.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok", "database": "ok"})
