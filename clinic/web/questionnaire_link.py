"""The patient's own questionnaire page behind the link in their reminder: no sign-in, the signed link is
the key to one visit's questionnaire. It closes at the visit's end and once answered (410, a kind page)."""

from flask import Blueprint, render_template, request

from clinic.clock import utcnow
from clinic.domain.monitoring import AlertSeverity
from clinic.domain.questionnaires import ANSWER_LABELS, Questionnaire, unanswered
from clinic.services.errors import Invalid
from clinic.services.questionnaires import LinkGone, crisis_country, open_questionnaire_link, submit_answers
from clinic.web.forms import ActionForm

bp = Blueprint("web_questionnaire_link", __name__)


@bp.route("/q/<token>", methods=["GET", "POST"])
def answer(token: str):
    now = utcnow()
    try:
        link = open_questionnaire_link(token, now)
    except LinkGone as gone:
        return _gone(gone)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate():
            return _page(link, form, problem="The page was open too long. Please answer again and send."), 400
        try:
            scored = submit_answers(link, request.form, request.remote_addr or "", now)
        except Invalid as error:
            missing = {q: unanswered(request.form, q) for q in link.questionnaires}
            return _page(link, form, problem=error.detail, missing=missing), 400
        except LinkGone as gone:  # the same link's answers were saved first by another request
            return _gone(gone)
        urgent = any(alert.severity == AlertSeverity.URGENT for s in scored for alert in s.alerts)
        return render_template(
            "questionnaire/done.html",
            appointment=link.appointment,
            urgent=urgent,
            country=crisis_country(link.appointment),
        )
    return _page(link, form)


def _gone(gone: LinkGone):
    return render_template("questionnaire/gone.html", reason=gone.reason, appointment=gone.appointment), 410


def _page(link, form, problem: str | None = None, missing: dict[Questionnaire, list[int]] | None = None):
    return render_template(
        "questionnaire/patient.html",
        appointment=link.appointment,
        questionnaires=link.questionnaires,
        answers=ANSWER_LABELS,
        form=form,
        posted=request.form if request.method == "POST" else {},
        problem=problem,
        missing=missing or {},
    )
