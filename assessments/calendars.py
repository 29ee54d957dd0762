"""The Begehung as an iCalendar event (RFC 5545, METHOD:REQUEST): attached
to the invitation the centre's leaders get (assessments.handoffs), and
downloadable from the review screens, so the date lands in calendars."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from assessments.models import EventAction, SiteVisit

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


def build_ics(visit: SiteVisit, *, attendees: list[str], method: str = "REQUEST") -> bytes:
    assessment = visit.assessment
    centre = assessment.familienzentrum
    sites = visited_sites(visit)
    start = visit.scheduled_for.astimezone(BERLIN)
    calendar = Calendar()
    calendar.add("prodid", "-//Guetesiegel Familienzentrum NRW//Begehung//DE")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", visit_uid(visit))
    event.add("sequence", visit_sequence(visit))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start)
    event.add("dtend", start + VISIT_DURATION)
    with translation.override("de"):
        event.add("summary", _("Begehung: %(name)s") % {"name": centre.name})
        description = _("Begehung im Rahmen der Zertifizierung „Gütesiegel Familienzentrum NRW“.")
    event.add("description", description)
    event.add("location", location_of(sites))
    reviewer = assessment.reviewer
    if reviewer is not None:
        organizer = vCalAddress(f"mailto:{reviewer.email}")
        organizer.params["cn"] = vText(str(reviewer))
        event["organizer"] = organizer
    for email in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
