from __future__ import annotations

from django.urls import path

from register import views

app_name = "register"

urlpatterns = [
    path("<int:pk>/", views.register, name="register"),
    path("<int:pk>/ablauf/", views.lapsing, name="lapsing"),
    path("<int:pk>/qualifikation/neu/", views.qualification_new, name="qualification_new"),
    path("qualifikation/<int:entry_pk>/", views.qualification_edit, name="qualification_edit"),
    path("qualifikation/<int:entry_pk>/entfernen/", views.qualification_delete, name="qualification_delete"),
    path("<int:pk>/vereinbarung/neu/", views.agreement_new, name="agreement_new"),
    path("vereinbarung/<int:entry_pk>/", views.agreement_edit, name="agreement_edit"),
    path("vereinbarung/<int:entry_pk>/beenden/", views.agreement_end, name="agreement_end"),
    path("vereinbarung/<int:entry_pk>/entfernen/", views.agreement_delete, name="agreement_delete"),
]
