"""A questionnaire link saves answers once: the stored used mark (unique per link) settles two answers sent
through one link at the same moment. Real threads, each with its own client and database session."""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

import clinic.web.questionnaire_link as questionnaire_page
from clinic.extensions import db
from clinic.models.alert import Alert
from clinic.models.measurement import Measurement
from clinic.models.questionnaire import QuestionnaireLinkUse
from tests.services.test_questionnaire_links import _answers, _link, _path, visit  # noqa: F401
from tests.web.test_login import _token_from


def test_two_answers_sent_at_once_through_one_link_are_saved_once(app, clock, visit, backend, monkeypatch):  # noqa: F811
    path = _path(_link(app, visit["appointment_id"], clock.now))
    clients = [app.test_client(), app.test_client()]
    tokens = [_token_from(c.get(path).data) for c in clients]
    if backend == "postgresql":
        # Both requests find the link unused before either saves, so the database's unique used mark (not
        # the check on opening) has to decide. SQLite takes its write lock at the first statement
        # (BEGIN IMMEDIATE), so there the second request waits and finds the link used.
        both_opened = threading.Barrier(2, timeout=30)
        opened = questionnaire_page.open_questionnaire_link

        def open_together(token, now):
            link = opened(token, now)
            if threading.current_thread() is not threading.main_thread():
                both_opened.wait()
            return link

        monkeypatch.setattr(questionnaire_page, "open_questionnaire_link", open_together)
    answers = [_answers([3] * 8 + [1]), _answers([0] * 9)]

    def send(i):
        return clients[i].post(path, data={**answers[i], "csrf_token": tokens[i]})

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(send, range(2)))

    assert sorted(r.status_code for r in responses) == [200, 410]
    [refused] = [r for r in responses if r.status_code == 410]
    assert "Your answers are already with us" in refused.data.decode()
    with app.app_context():
        [saved] = db.session.scalars(select(Measurement)).all()
        [use] = db.session.scalars(select(QuestionnaireLinkUse)).all()
        assert use.measurement_ids == [saved.id]
        assert use.appointment_id == visit["appointment_id"]
        accepted = responses.index(next(r for r in responses if r.status_code == 200))
        assert saved.total == (25 if accepted == 0 else 0)
        assert len(db.session.scalars(select(Alert)).all()) == (1 if accepted == 0 else 0)
    assert clients[0].get(path).status_code == 410
