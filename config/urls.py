from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("konto/", include("accounts.urls")),
    path("katalog/", include("certification.urls")),
    path("selbstbewertung/", include("assessments.urls")),
    path("berichte/", include("reports.urls")),
    path("angebotsjournal/", include("journal.urls")),
    path("nachweisregister/", include("register.urls")),
    path("benachrichtigungen/", include("notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
