from __future__ import annotations

from django.urls import path

from certification import views

app_name = "certification"

urlpatterns = [
    path("", views.catalogue_list, name="catalogue_list"),
    path("<int:pk>/", views.catalogue_detail, name="catalogue_detail"),
]
