from __future__ import annotations

from django.urls import path

from assessments.views import (
    assignment,
    cycle,
    deadlines,
    decision,
    evidence,
    journal,
    partner_journal,
    partners,
    queries,
    queues,
    review,
    review_tools,
)

app_name = "assessments"

urlpatterns = [
    # The review (issue 5): office queue and assignment, the reviewer's workspace,
    # queries and replies, site visit, recommendation, four-eyes decision.
    # The work queues and centre lists (issue 12).
    path("begutachtungen/", queues.office_queue, name="review_overview"),
    path("begutachtungen/meine/", queues.my_reviews, name="my_reviews"),
    path("familienzentren/", queues.centre_list, name="centre_list"),
    path("begutachtungen/zuweisen/", assignment.bulk_assign, name="bulk_assign"),
    path("begutachtungen/auslastung/", assignment.reviewer_workloads, name="reviewer_workloads"),
    path("<int:pk>/fristen/", deadlines.deadlines, name="deadlines"),
    path("<int:pk>/zuweisen/", review.assign, name="assign"),
    path("<int:pk>/begutachtung/", review.workspace, name="review"),
    path("<int:pk>/begutachtung/bereich/<str:area_code>/", review.review_area, name="review_area"),
    # The reviewer's tools (issue 12): an area at once, previews, the seal confirmed, the calendar feed.
    path(
        "<int:pk>/begutachtung/bereich/<str:area_code>/alle-annehmen/",
        review_tools.accept_area,
        name="accept_area",
    ),
    path("<int:pk>/entscheidung/erteilen/", review_tools.confirm_approval, name="approve_confirm"),
    path("datei/<int:revision_pk>/ansicht/", review_tools.evidence_preview, name="evidence_preview"),
    path("datei/<int:revision_pk>/ansicht/bild/", review_tools.evidence_preview_page, name="evidence_preview_page"),
    path("kalender/", review_tools.calendar, name="calendar"),
    path("kalender/<str:token>.ics", review_tools.calendar_feed, name="calendar_feed"),
    path("<int:pk>/begutachtung/urteil/<str:criterion_code>/", review.set_verdict, name="set_verdict"),
    path("<int:pk>/begutachtung/rueckfragen-senden/", review.request_changes, name="request_changes"),
    path("<int:pk>/rueckfragen/", queries.queries, name="queries"),
    path("<int:pk>/rueckfragen/<str:criterion_code>/antwort/", queries.reply, name="reply"),
    path("<int:pk>/erneut-einreichen/", queries.resubmit, name="resubmit"),
    path("<int:pk>/begehung/", review.site_visit, name="site_visit"),
    path("<int:pk>/begehung/durchgefuehrt/", review.site_visit_done, name="site_visit_done"),
    path("<int:pk>/begehung/termin.ics", review.site_visit_ics, name="site_visit_ics"),
    path("<int:pk>/empfehlen/", decision.recommend, name="recommend"),
    path("<int:pk>/entscheidung/", decision.decision, name="decision"),
    path("<int:pk>/entscheidung/bestaetigen/", decision.approve, name="approve"),
    path("<int:pk>/entscheidung/zurueckgeben/", decision.send_back, name="send_back"),
    path("<int:pk>/ablehnen/", decision.decline, name="decline"),
    path("familienzentrum/<int:familienzentrum_pk>/re-zertifizierung/", cycle.recertify, name="recertify"),
    path("familienzentrum/<int:familienzentrum_pk>/neu/", cycle.start, name="start"),
    path("<int:pk>/", cycle.detail, name="detail"),
    path("<int:pk>/profil/", cycle.profile, name="profile"),
    path("<int:pk>/bereich/<str:area_code>/", cycle.area, name="area"),
    path("<int:pk>/kriterium/<str:criterion_code>/", cycle.save_answer, name="save_answer"),
    path("<int:pk>/kriterium/<str:criterion_code>/verlauf/", cycle.criterion_history, name="criterion_history"),
    path("<int:pk>/einreichen/", cycle.ready, name="ready"),
    path("<int:pk>/zurueckziehen/", cycle.withdraw, name="withdraw"),
    path("<int:pk>/nachweise/", evidence.index, name="evidence_index"),
    path("<int:pk>/kriterium/<str:criterion_code>/hochladen/", evidence.upload, name="evidence_upload"),
    path("<int:pk>/kriterium/<str:criterion_code>/verknuepfen/", evidence.link, name="evidence_link"),
    path(
        "<int:pk>/kriterium/<str:criterion_code>/entfernen/<int:evidence_pk>/",
        evidence.unlink,
        name="evidence_unlink",
    ),
    path("<int:pk>/kriterium/<str:criterion_code>/journal/", journal.take_over, name="journal_take_over"),
    path(
        "<int:pk>/kriterium/<str:criterion_code>/journal/<int:entry_pk>/entfernen/",
        journal.unlink,
        name="journal_unlink",
    ),
    path("nachweis/<int:evidence_pk>/neue-fassung/", evidence.add_revision, name="evidence_revision"),
    path("datei/<int:revision_pk>/", evidence.download, name="evidence_download"),
    path("<int:pk>/einladen/", partners.invite, name="invite"),
    path("<int:pk>/einladungen/", partners.invitations, name="invitations"),
    path(
        "<int:pk>/einladungen/<int:invitation_pk>/erneut-senden/",
        partners.resend_invitation,
        name="resend_invitation",
    ),
    path(
        "<int:pk>/einladungen/<int:invitation_pk>/zuruecknehmen/",
        partners.revoke_invitation,
        name="revoke_invitation",
    ),
    path("einladung/<str:token>/", partners.invitation, name="invitation"),
    path("partner/", partners.partner_home, name="partner_home"),
    path("partner/zugang/<int:access_pk>/", partners.partner_access, name="partner_access"),
    path(
        "partner/zugang/<int:access_pk>/kriterium/<str:criterion_code>/hochladen/",
        partners.partner_upload,
        name="partner_upload",
    ),
    # A partner's entries in the centre's offer journal, through its invitation (issue 13).
    path("partner/zugang/<int:access_pk>/journal/", partner_journal.partner_journal, name="partner_journal"),
    path("partner/bibliothek/<int:partner_pk>/", partners.library, name="library"),
    path("partner/freigeben/<int:evidence_pk>/", partners.grant, name="grant"),
    path("partner/freigabe/<int:grant_pk>/entziehen/", partners.revoke, name="revoke"),
]
