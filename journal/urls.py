from __future__ import annotations

from django.urls import path

from journal.views import entries

app_name = "journal"

urlpatterns = [
    path("<int:pk>/", entries.journal, name="journal"),
    path("<int:pk>/eintragen/", entries.entry_new, name="entry_new"),
    path("eintrag/<int:entry_pk>/", entries.entry_edit, name="entry_edit"),
    path("eintrag/<int:entry_pk>/entfernen/", entries.entry_delete, name="entry_delete"),
    # import / export / print
]
