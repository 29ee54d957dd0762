"""Access rules of the certification app, in one place. Helpers answer 404
for objects the user may not see, so their existence is not disclosed."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from certification.models import CatalogueVersion, Familienzentrum
from certification.selectors import familienzentren_for_user


def get_familienzentrum_for_user(user, pk: int) -> Familienzentrum:
    return get_object_or_404(familienzentren_for_user(user), pk=pk)


def get_catalogue_for_user(user, pk: int) -> CatalogueVersion:
    # The catalogue is public to every signed-in user: it is the scheme
    # everyone works to, not data of any one centre.
    return get_object_or_404(CatalogueVersion, pk=pk)
