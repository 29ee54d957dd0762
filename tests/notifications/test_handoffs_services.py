"""The two messages that used to be lost for good in a broker outage, through
the real machinery (PostgreSQL, a redis-server of this test's own, a real
Celery worker): with Redis stopped, the Leitung invites a partner and the
reviewer plans the site visit; each request answers in under a second and
says the message follows; Redis back, the sweep hands both over, the worker
mails them, and the invitation link from the message is accepted."""

from __future__ import annotations

import time
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from assessments import services
from assessments.models import PartnerAccess, Verdict
from config.celery import forget_broker_down
from notifications.models import Notification, NotificationKind
from notifications.services import notifications_sweep
from tests.assessments import conftest as assessment_fixtures
from tests.notifications.support import FAST_SECONDS, make_old, point_app_at
from tests.services.support import wait_for

pytestmark = pytest.mark.services

mini_catalogue = assessment_fixtures.mini_catalogue
draft = assessment_fixtures.draft
submitted = assessment_fixtures.submitted
gabi = assessment_fixtures.gabi
zeno = assessment_fixtures.zeno
reviewing = assessment_fixtures.reviewing


def timed_post(client: Client, url: str, data: dict):
    started = time.monotonic()
    response = client.post(url, data)
    return response, time.monotonic() - started


def test_invitation_and_site_visit_survive_a_broker_outage(
    transactional_db, own_broker, own_redis, worker_on_own_redis, settings, monkeypatch, reviewing, alice, gabi, paula
):
    point_app_at(own_redis.url, settings, monkeypatch)
    leitung, reviewer = Client(), Client()
    leitung.force_login(alice)
    reviewer.force_login(gabi)
    leitung.get(reverse("home"))  # the first request of a process pays for its imports

    # The reviewer queries 1.1, so that the centre may edit again and invite a partner for it.
    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="1.1", verdict=Verdict.QUERIED, comment="Beleg?"
    )
    services.request_changes(user=gabi, assessment_id=reviewing.pk)
    Notification.objects.all().delete()  # the messages of these preparations

    own_redis.stop()
    site = reviewing.familienzentrum.site_links.get().site_id
    response, elapsed = timed_post(
        reviewer,
        reverse("assessments:site_visit", args=[reviewing.pk]),
        {"date": date(2030, 3, 10).isoformat(), "time": "09:30", "sites": [site], "notes": "Elterncafé"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert elapsed < FAST_SECONDS, f"planning the visit took {elapsed:.2f} s with Redis down"
    visit_row = Notification.objects.get(kind=NotificationKind.SITE_VISIT)
    assert visit_row.emailed_at is None and visit_row.attachment_name == "begehung.ics"

    response, elapsed = timed_post(
        leitung,
        reverse("assessments:invite", args=[reviewing.pk]),
        {"partner": paula_partner_id(paula), "email": paula.email, "criteria": ["1.1"]},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert elapsed < FAST_SECONDS, f"the invitation took {elapsed:.2f} s with Redis down"
    invitation_row = Notification.objects.get(kind=NotificationKind.PARTNER_INVITATION)
    assert invitation_row.emailed_at is None

    # Redis back: once the worker has reconnected, the sweep hands both rows over.
    own_redis.start()
    wait_for(
        lambda: worker_on_own_redis.output().count(f"Connected to redis://:**@127.0.0.1:{own_redis.port}/0") >= 2,
        timeout=60,
        what="the worker to reconnect",
        process=worker_on_own_redis,
    )
    for row in (visit_row, invitation_row):
        make_old(row)
    forget_broker_down()  # later: the failed hand-overs are no longer remembered
    assert notifications_sweep() >= 2
    for row in (visit_row, invitation_row):
        wait_for(
            lambda row=row: Notification.objects.filter(pk=row.pk, emailed_at__isnull=False).exists(),
            timeout=60,
            what=f"the worker to mail the {row.kind} row",
            process=worker_on_own_redis,
        )
    output = worker_on_own_redis.output()
    assert "begehung.ics" in output and invitation_row.link in output  # the console mail backend of the worker

    # The link the partner got is accepted.
    partner = Client()
    partner.force_login(paula)
    response = partner.post(invitation_row.link)
    assert response.status_code == 302, response.content.decode()[-1500:]
    access = PartnerAccess.objects.get(assessment=reviewing)
    assert access.partner_id == paula_partner_id(paula)
    assert list(access.criteria.values_list("code", flat=True)) == ["1.1"]


def paula_partner_id(paula) -> int:
    from certification.selectors import roles_for

    (partner_id,) = roles_for(paula).partner_ids
    return partner_id
