from __future__ import annotations

from django.urls import path

from assessments import evidence_views, review_views, views

app_name = "assessments"

urlpatterns = [
    # The review (issue 5): office queue and assignment, the reviewer's workspace,
    # queries and replies, site visit, recommendation, four-eyes decision.
    path("begutachtungen/", review_views.overview, name="review_overview"),
    path("<int:pk>/zuweisen/", review_views.assign, name="assign"),
    path("<int:pk>/begutachtung/", review_views.workspace, name="review"),
    path("<int:pk>/begutachtung/bereich/<str:area_code>/", review_views.review_area, name="review_area"),
    path("<int:pk>/begutachtung/urteil/<str:criterion_code>/", review_views.set_verdict, name="set_verdict"),
    path("<int:pk>/begutachtung/rueckfragen-senden/", review_views.request_changes, name="request_changes"),
    path("<int:pk>/rueckfragen/", review_views.queries, name="queries"),
    path("<int:pk>/rueckfragen/<str:criterion_code>/antwort/", review_views.reply, name="reply"),
    path("<int:pk>/erneut-einreichen/", review_views.resubmit, name="resubmit"),
    path("<int:pk>/begehung/", review_views.site_visit, name="site_visit"),
    path("<int:pk>/begehung/durchgefuehrt/", review_views.site_visit_done, name="site_visit_done"),
    path("<int:pk>/begehung/termin.ics", review_views.site_visit_ics, name="site_visit_ics"),
    path("<int:pk>/empfehlen/", review_views.recommend, name="recommend"),
    path("<int:pk>/entscheidung/", review_views.decision, name="decision"),
    path("<int:pk>/entscheidung/bestaetigen/", review_views.approve, name="approve"),
    path("<int:pk>/entscheidung/zurueckgeben/", review_views.send_back, name="send_back"),
    path("<int:pk>/ablehnen/", review_views.decline, name="decline"),
    path("familienzentrum/<int:familienzentrum_pk>/re-zertifizierung/", review_views.recertify, name="recertify"),
    path("familienzentrum/<int:familienzentrum_pk>/neu/", views.start, name="start"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/profil/", views.profile, name="profile"),
    path("<int:pk>/bereich/<str:area_code>/", views.area, name="area"),
    path("<int:pk>/kriterium/<str:criterion_code>/", views.save_answer, name="save_answer"),
    path("<int:pk>/einreichen/", views.ready, name="ready"),
    path("<int:pk>/zurueckziehen/", views.withdraw, name="withdraw"),
    path("<int:pk>/nachweise/", evidence_views.index, name="evidence_index"),
    path("<int:pk>/kriterium/<str:criterion_code>/hochladen/", evidence_views.upload, name="evidence_upload"),
    path("<int:pk>/kriterium/<str:criterion_code>/verknuepfen/", evidence_views.link, name="evidence_link"),
    path(
        "<int:pk>/kriterium/<str:criterion_code>/entfernen/<int:evidence_pk>/",
        evidence_views.unlink,
        name="evidence_unlink",
    ),
    path("nachweis/<int:evidence_pk>/neue-fassung/", evidence_views.add_revision, name="evidence_revision"),
    path("datei/<int:revision_pk>/", evidence_views.download, name="evidence_download"),
    path("<int:pk>/einladen/", evidence_views.invite, name="invite"),
    path("einladung/<str:token>/", evidence_views.invitation, name="invitation"),
    path("partner/", evidence_views.partner_home, name="partner_home"),
    path("partner/zugang/<int:access_pk>/", evidence_views.partner_access, name="partner_access"),
    path(
        "partner/zugang/<int:access_pk>/kriterium/<str:criterion_code>/hochladen/",
        evidence_views.partner_upload,
        name="partner_upload",
    ),
    path("partner/bibliothek/<int:partner_pk>/", evidence_views.library, name="library"),
    path("partner/freigeben/<int:evidence_pk>/", evidence_views.grant, name="grant"),
    path("partner/freigabe/<int:grant_pk>/entziehen/", evidence_views.revoke, name="revoke"),
]
