from __future__ import annotations

from django.urls import path

from journal.views import entries
from journal.views import io as io_views

app_name = "journal"

urlpatterns = [
    path("<int:pk>/", entries.journal, name="journal"),
    path("<int:pk>/eintragen/", entries.entry_new, name="entry_new"),
    path("eintrag/<int:entry_pk>/", entries.entry_edit, name="entry_edit"),
    path("eintrag/<int:entry_pk>/entfernen/", entries.entry_delete, name="entry_delete"),
    # import / export / print
    path("<int:pk>/import/", io_views.import_journal, name="import"),
    path("<int:pk>/import/vorlage.<str:file_format>", io_views.import_template, name="import_template"),
    path("<int:pk>/export.<str:file_format>", io_views.export_journal, name="export"),
    path("<int:pk>/druck/", io_views.print_journal, name="print"),
]
