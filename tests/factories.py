from __future__ import annotations

from decimal import Decimal

import factory

from accounts.models import User
from certification.models import (
    Einrichtung,
    Familienzentrum,
    FamilienzentrumForm,
    FamilienzentrumSite,
    Kooperationspartner,
    Membership,
    MembershipRole,
    PartnerKind,
    Reviewer,
    Traeger,
)

PASSWORD = "familienzentrum"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="de_DE")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TraegerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Traeger

    name = factory.Sequence(lambda n: f"Träger {n}")
    city = "Düren"


class EinrichtungFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Einrichtung

    traeger = factory.SubFactory(TraegerFactory)
    name = factory.Sequence(lambda n: f"Kita {n}")
    city = "Jülich"
    latitude = Decimal("50.922000")
    longitude = Decimal("6.361000")


class FamilienzentrumFactory(factory.django.DjangoModelFactory):
    """A single-site Familienzentrum with its site; pass sites=[...] for more."""

    class Meta:
        model = Familienzentrum
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Familienzentrum {n}")
    traeger = factory.SubFactory(TraegerFactory)
    form = FamilienzentrumForm.SINGLE

    @factory.post_generation
    def sites(obj, create, extracted, **kwargs):
        if not create:
            return
        sites = extracted or [EinrichtungFactory(traeger=obj.traeger)]
        for index, site in enumerate(sites):
            FamilienzentrumSite.objects.create(familienzentrum=obj, site=site, is_grant_recipient=index == 0)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kooperationspartner

    name = factory.Sequence(lambda n: f"Beratungsstelle {n}")
    kind = PartnerKind.COUNSELLING


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = MembershipRole.LEITUNG


class ReviewerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reviewer

    user = factory.SubFactory(UserFactory)
