"""The Begehung as an iCalendar event (RFC 5545, METHOD:REQUEST): attached
to the invitation the centre's leaders get (assessments.handoffs), and
downloadable from the review screens, so the date lands in calendars.

Also the reviewer's personal feed (issue 12): every site visit of the
reviewer's open cycles, planned or done, behind a secret URL that calendar
apps poll without signing in. Only the token's SHA-256 is stored
(certification.Reviewer.calendar_token_hash)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from assessments.models import OPEN_STATES, EventAction, SiteVisit
from certification.models import FamilienzentrumSite, Reviewer

BERLIN = ZoneInfo("Europe/Berlin")
# A Begehung takes three to four hours; the invitation blocks four.
VISIT_DURATION = timedelta(hours=4)


def visit_uid(visit: SiteVisit) -> str:
    # Stable per assessment: a rescheduled visit updates the same calendar
    # entry (with a higher SEQUENCE) instead of adding a second one.
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"begehung-{visit.assessment_id}@{host}"


def visit_sequence(visit: SiteVisit) -> int:
    return max(visit.assessment.events.filter(action=EventAction.VISIT_SCHEDULED).count() - 1, 0)


def visited_sites(visit: SiteVisit) -> list:
    """The visited sites, the grant recipient first."""
    links = {link.site_id: link for link in visit.assessment.familienzentrum.site_links.all()}
    sites = list(visit.sites.all())
    return sorted(sites, key=lambda site: (not getattr(links.get(site.pk), "is_grant_recipient", False), site.name))


def location_of(sites) -> str:
    return "; ".join(f"{site.name}, {site.address_line}" if site.address_line else site.name for site in sites)


def visit_event(visit: SiteVisit, *, sequence: int, attendees: list[str] = (), organizer: bool = True) -> Event:
    assessment = visit.assessment
    centre = assessment.familienzentrum
    start = visit.scheduled_for.astimezone(BERLIN)
    event = Event()
    event.add("uid", visit_uid(visit))
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start)
    event.add("dtend", start + VISIT_DURATION)
    with translation.override("de"):
        event.add("summary", _("Begehung: %(name)s") % {"name": centre.name})
        description = _("Begehung im Rahmen der Zertifizierung „Gütesiegel Familienzentrum NRW“.")
    event.add("description", description)
    event.add("location", location_of(visited_sites(visit)))
    reviewer = assessment.reviewer
    if organizer and reviewer is not None:
        organizer_address = vCalAddress(f"mailto:{reviewer.email}")
        organizer_address.params["cn"] = vText(str(reviewer))
        event["organizer"] = organizer_address
    for email in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    return event


def build_ics(visit: SiteVisit, *, attendees: list[str], method: str = "REQUEST") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Guetesiegel Familienzentrum NRW//Begehung//DE")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(visit_event(visit, sequence=visit_sequence(visit), attendees=attendees))
    calendar.add_missing_timezones()
    return calendar.to_ical()


# ---------------------------------------------------------------- the reviewer's feed


def calendar_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reviewer_for_calendar_token(token: str) -> Reviewer | None:
    """The active pool member whose feed `token` opens, or None (the view
    answers 404: a revoked, replaced or guessed token looks like no page)."""
    if not token or len(token) > 128:
        return None
    digest = calendar_token_hash(token)
    reviewer = (
        Reviewer.objects.select_related("user")
        .filter(calendar_token_hash=digest, is_active=True, user__is_active=True)
        .exclude(calendar_token_hash="")
        .first()
    )
    # The lookup by the digest discloses nothing usable (a guesser cannot
    # steer the digest's prefix); the final comparison runs in constant time,
    # as a password check does.
    if reviewer is None or not hmac.compare_digest(reviewer.calendar_token_hash, digest):
        return None
    return reviewer


def feed_visits(user) -> list[SiteVisit]:
    """The site visits of the cycles `user` reviews that are still open,
    planned or done, earliest first; a fixed number of queries however many."""
    return list(
        SiteVisit.objects.filter(assessment__reviewer=user, assessment__state__in=OPEN_STATES)
        .select_related("assessment__familienzentrum", "assessment__reviewer")
        .prefetch_related(
            "sites",
            Prefetch("assessment__familienzentrum__site_links", queryset=FamilienzentrumSite.objects.all()),
        )
        .annotate(
            times_scheduled=Count(
                "assessment__events", filter=Q(assessment__events__action=EventAction.VISIT_SCHEDULED)
            )
        )
        .order_by("scheduled_for", "pk")
    )


def build_feed(visits: list[SiteVisit]) -> bytes:
    """The feed as one calendar (METHOD:PUBLISH). Each visit keeps the UID of
    its invitation, so a moved visit moves in the calendar. No addresses of
    people: the centre's name, the visited sites and a link to the review,
    which asks for a sign-in."""
    calendar = Calendar()
    calendar.add("prodid", "-//Guetesiegel Familienzentrum NRW//Begehungen//DE")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    with translation.override("de"):
        calendar.add("x-wr-calname", _("Begehungen (Gütesiegel Familienzentrum)"))
        done_label = _("durchgeführt")
    calendar.add("x-wr-timezone", "Europe/Berlin")
    # Calendar apps poll subscriptions; once an hour is plenty for visits.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for visit in visits:
        event = visit_event(visit, sequence=max(visit.times_scheduled - 1, 0), organizer=False)
        event.add("url", settings.SITE_URL.rstrip("/") + reverse("assessments:review", args=[visit.assessment_id]))
        event.add("status", "CONFIRMED")
        if visit.is_done:
            event["summary"] = vText(f"{event['summary']} ({done_label})")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
