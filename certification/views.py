from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from certification.rules import get_catalogue_for_user
from certification.selectors import (
    catalogue_areas,
    catalogue_areas_with_criteria,
    catalogue_rules,
    catalogue_versions,
)


@login_required
def catalogue_list(request):
    return render(request, "certification/catalogue_list.html", {"catalogues": catalogue_versions()})


@login_required
def catalogue_detail(request, pk: int):
    """One catalogue version by area; `?bereich=<code>` shows a single area.
    The number of queries does not depend on the catalogue's size."""
    catalogue = get_catalogue_for_user(request.user, pk)
    area_code = request.GET.get("bereich") or None
    areas = catalogue_areas_with_criteria(catalogue, area_code)
    selected_area = None
    if area_code is not None:
        if not areas:
            raise Http404(_("Diesen Bereich gibt es in dieser Katalogversion nicht."))
        selected_area = areas[0]
    context = {
        "catalogue": catalogue,
        "areas": areas,
        # The overview lists every area even when only one is shown.
        "all_areas": catalogue_areas(catalogue) if selected_area else areas,
        "selected_area": selected_area,
        "rules": catalogue_rules(catalogue, selected_area),
    }
    return render(request, "certification/catalogue_detail.html", context)
