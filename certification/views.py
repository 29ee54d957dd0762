from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from certification.permissions import get_catalogue_for_user
from certification.selectors import catalogue_areas_with_criteria, catalogue_rules, catalogue_versions


@login_required
def catalogue_list(request):
    return render(request, "certification/catalogue_list.html", {"catalogues": catalogue_versions()})


@login_required
def catalogue_detail(request, pk: int):
    catalogue = get_catalogue_for_user(request.user, pk)
    context = {
        "catalogue": catalogue,
        "areas": catalogue_areas_with_criteria(catalogue),
        "rules": catalogue_rules(catalogue),
    }
    return render(request, "certification/catalogue_detail.html", context)
