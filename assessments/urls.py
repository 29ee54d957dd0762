from __future__ import annotations

from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("familienzentrum/<int:familienzentrum_pk>/neu/", views.start, name="start"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/profil/", views.profile, name="profile"),
    path("<int:pk>/bereich/<str:area_code>/", views.area, name="area"),
    path("<int:pk>/kriterium/<str:criterion_code>/", views.save_answer, name="save_answer"),
    path("<int:pk>/einreichen/", views.ready, name="ready"),
    path("<int:pk>/zurueckziehen/", views.withdraw, name="withdraw"),
]
