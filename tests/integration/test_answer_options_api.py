"""Through the API: an action's person must be one the submission's own answers offer."""

from __future__ import annotations

from flask.testing import FlaskClient

from forms_service.services import Services
from tests.factories import family_story_answers
from tests.staff import staff_user, user_headers

STORY = "/api/v1/forms/family-story/submissions"


def test_an_unknown_person_is_refused_naming_the_field(
    client: FlaskClient, services: Services
) -> None:
    headers = user_headers(services, staff_user(services, "lead-professional"))
    story = family_story_answers()
    story["plan"][0]["who"] = "Dean Nobody"
    reply = client.post(STORY, json=story, headers=headers)
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {
        "plan.0.who": ["Select who will do it: choose someone listed on this form"]
    }
    story["plan"][0]["who"] = "Hannah Lee (School nurse)"  # a professional in the answers
    assert client.post(STORY, json=story, headers=headers).status_code == 201
