"""Sessions of reviewers and office staff: they end after a while without a
request, and the certification decision asks for the second factor again
when it was given more than a working day ago."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import SECOND_FACTOR_AT_SESSION_KEY
from assessments.models import Assessment, AssessmentState
from tests.assessments.conftest import *  # noqa: F403 - the assessments in review and their reviewers
from tests.two_factor import fresh_code

HOME = reverse("home")
LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:two_factor_verify")
EXPIRED = "Ihre Sitzung ist abgelaufen"


def later(minutes: float):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


# ------------------------------------------------------------ idle timeout


@pytest.mark.parametrize("persona", ["rita", "olga"])
def test_an_idle_reviewer_or_office_session_ends(client, request, settings, persona):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(HOME).status_code == 200
    with later(31):
        response = client.get(HOME)
        assert response.status_code == 302 and response.url == f"{LOGIN}?next=%2F"
        page = client.get(response.url)
        assert page.status_code == 200 and EXPIRED in page.content.decode()
        # The session is over: the next request is anonymous.
        assert client.get(HOME).url.startswith(LOGIN)


def test_requests_keep_the_session_alive(client, rita, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client.force_login(rita)
    assert client.get(HOME).status_code == 200
    with later(20):
        assert client.get(HOME).status_code == 200
    with later(40):
        assert client.get(HOME).status_code == 200
    with later(71):
        assert client.get(HOME).status_code == 302


def test_an_idle_htmx_request_is_told_to_load_the_login_page(client, rita, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client.force_login(rita)
    assert client.get(HOME).status_code == 200
    with later(31):
        response = client.get(HOME, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and response["HX-Redirect"] == f"{LOGIN}?next=%2F"


def test_a_leitung_keeps_the_normal_session_age(client, alice, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client.force_login(alice)
    assert client.get(HOME).status_code == 200
    with later(5 * 60):
        assert client.get(HOME).status_code == 200


def test_the_idle_timeout_can_be_switched_off(client, rita, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 0
    client.force_login(rita)
    assert client.get(HOME).status_code == 200
    with later(5 * 60):
        assert client.get(HOME).status_code == 200


@pytest.mark.two_factor
def test_a_real_sign_in_starts_the_clock(client, rita, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    device = TOTPDevice.objects.create(user=rita, name="App", confirmed=True)
    assert client.post(LOGIN, {"username": rita.email, "password": "familienzentrum"}).status_code == 302
    assert client.post(VERIFY, {"token": fresh_code(device)}).status_code == 302
    with later(31):
        response = client.get(HOME)
        assert response.status_code == 302 and response.url.startswith(LOGIN)


# ------------------------------------------------------------ the decision asks for the code again


def verified_hours_ago(client, hours: float) -> None:
    session = client.session
    session[SECOND_FACTOR_AT_SESSION_KEY] = time.time() - hours * 3600
    session.save()


def confirmed(assessment) -> dict:
    """What the confirmation step before the seal posts (issue 12)."""
    from certification.services import seal_valid_until

    return {
        "note": "",
        "confirm": assessment.latest_submission.sha256,
        "valid_until": seal_valid_until(timezone.localdate()).isoformat(),
    }


def test_approve_after_nine_hours_asks_for_the_code_again(client, zeno, recommended_by_gabi, settings):
    settings.SECOND_FACTOR_MAX_AGE_HOURS = 8
    assessment = recommended_by_gabi
    decision = reverse("assessments:decision", args=[assessment.pk])
    client.force_login(zeno)
    verified_hours_ago(client, 9)

    response = client.post(reverse("assessments:approve", args=[assessment.pk]), {"note": ""})
    assert response.status_code == 302
    assert response.url == f"{VERIFY}?next={decision.replace('/', '%2F')}"
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.RECOMMENDED
    # The session's verification is gone: nothing opens before the code.
    assert client.get(HOME).url.startswith(VERIFY)
    page = client.get(response.url)
    assert page.status_code == 200 and "erneut einen Code aus der App" in page.content.decode()

    # The code, back on the decision page, and now the approval goes through.
    device = TOTPDevice.objects.get(user=zeno, confirmed=True)
    verified = client.post(VERIFY, {"token": fresh_code(device), "next": decision})
    assert verified.status_code == 302 and verified.url == decision
    approved = client.post(reverse("assessments:approve", args=[assessment.pk]), confirmed(assessment))
    assert approved.status_code == 302 and approved.url == decision
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.CERTIFIED


def test_approve_within_the_working_day_goes_through(client, zeno, recommended_by_gabi, settings):
    settings.SECOND_FACTOR_MAX_AGE_HOURS = 8
    client.force_login(zeno)
    verified_hours_ago(client, 7.5)
    response = client.post(
        reverse("assessments:approve", args=[recommended_by_gabi.pk]), confirmed(recommended_by_gabi)
    )
    assert response.url == reverse("assessments:decision", args=[recommended_by_gabi.pk])
    assert Assessment.objects.get(pk=recommended_by_gabi.pk).state == AssessmentState.CERTIFIED


def test_decline_after_nine_hours_asks_for_the_code_again(client, olga, reviewing, settings):
    settings.SECOND_FACTOR_MAX_AGE_HOURS = 8
    decline = reverse("assessments:decline", args=[reviewing.pk])
    client.force_login(olga)
    verified_hours_ago(client, 9)
    response = client.post(decline, {"reason": "Schwellen verfehlt."})
    # A POST is not replayed: back to the decline form afterwards.
    assert response.status_code == 302 and response.url == f"{VERIFY}?next={decline.replace('/', '%2F')}"
    assert Assessment.objects.get(pk=reviewing.pk).state == AssessmentState.IN_REVIEW

    client.force_login(olga)  # verified again (tests/conftest.py), at an unknown time: counts as now
    assert client.get(decline).status_code == 200
    assert client.post(decline, {"reason": "Schwellen verfehlt."}).status_code == 302
    assert Assessment.objects.get(pk=reviewing.pk).state == AssessmentState.NOT_CERTIFIED


def test_a_verification_records_its_time(rf, client, zeno, recommended_by_gabi):
    device = TOTPDevice.objects.create(user=zeno, name="App", confirmed=True)
    client.force_login(zeno)
    session = client.session
    session.pop(SECOND_FACTOR_AT_SESSION_KEY, None)
    session.pop("otp_device_id", None)
    session.save()
    before = time.time()
    assert client.post(VERIFY, {"token": fresh_code(device)}).status_code == 302
    assert before <= client.session[SECOND_FACTOR_AT_SESSION_KEY] <= time.time()
