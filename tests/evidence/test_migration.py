"""The document library moved from assessments to the evidence app (evidence
0001 and assessments 0004 move the model states, evidence 0002 renames the
tables and moves the content types). This test fills the old schema through
the historical models, migrates forward, finds every row, file, link and
permission again through the current models, and does the same for the
reverse and a second forward run, so the database ends at the latest state."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

LAST_OLD_ASSESSMENTS = ("assessments", "0003_event_notified_at")
MOVED_MODELS = ["evidence", "evidencerevision", "evidencegrant", "evidencegrantlog"]
OLD_TABLES = {
    "assessments_evidence",
    "assessments_evidence_sites",
    "assessments_evidencerevision",
    "assessments_evidencegrant",
    "assessments_evidencegrantlog",
}
NEW_TABLES = {
    "evidence_evidence",
    "evidence_evidence_sites",
    "evidence_evidencerevision",
    "evidence_evidencegrant",
    "evidence_evidencegrantlog",
}
FILE_BYTES = b"%PDF-1.4\n% Kooperationsvereinbarung\n" + bytes(range(256)) + b"\n%%EOF\n"
PERMISSION = "export_evidence"


def fresh_executor() -> MigrationExecutor:
    # A new executor reads the applied migrations anew from the database.
    return MigrationExecutor(connection)


def old_targets(graph) -> list[tuple[str, str | None]]:
    """The node set of the old schema: assessments at 0003, evidence at zero,
    every other app at its latest migration that needs none of the new ones
    (so an app depending on the move would go back too)."""
    new_roots = [node for node in graph.nodes if node[0] == "evidence"]
    old_assessments = set(graph.forwards_plan(LAST_OLD_ASSESSMENTS))
    new_roots += [node for node in graph.nodes if node[0] == "assessments" and node not in old_assessments]
    new_nodes = set()
    for root in new_roots:
        new_nodes.update(graph.backwards_plan(root))

    targets = []
    for app in sorted({node[0] for node in graph.leaf_nodes()}):
        kept = [node for node in graph.nodes if node[0] == app and node not in new_nodes]
        if not kept:
            targets.append((app, None))
            continue
        # The latest kept node: no other kept node of the app comes after it.
        latest = [
            node for node in kept if not any(other != node and node in graph.forwards_plan(other) for other in kept)
        ]
        assert len(latest) == 1, latest
        targets.append(latest[0])
    return targets


def migrate_to(targets) -> MigrationExecutor:
    executor = fresh_executor()
    executor.migrate(targets)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    return fresh_executor()


def old_apps(executor: MigrationExecutor, targets):
    return executor.loader.project_state([node for node in targets if node[1] is not None]).apps


def foreign_key_targets() -> dict[str, set[str]]:
    """Every table with the tables its foreign keys point at, as the database
    itself reports them."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return {
            table: {
                info["foreign_key"][0]
                for info in connection.introspection.get_constraints(cursor, table).values()
                if info["foreign_key"]
            }
            for table in tables
        }


def fill_old_schema(apps) -> dict:
    """Everything the old schema knew about documents, built through the
    historical models. Returns the keys and the raw values to look for."""
    User = apps.get_model("accounts", "User")
    Traeger = apps.get_model("certification", "Traeger")
    Einrichtung = apps.get_model("certification", "Einrichtung")
    Familienzentrum = apps.get_model("certification", "Familienzentrum")
    FamilienzentrumSite = apps.get_model("certification", "FamilienzentrumSite")
    Kooperationspartner = apps.get_model("certification", "Kooperationspartner")
    CatalogueVersion = apps.get_model("certification", "CatalogueVersion")
    Area = apps.get_model("certification", "Area")
    Criterion = apps.get_model("certification", "Criterion")
    Assessment = apps.get_model("assessments", "Assessment")
    Submission = apps.get_model("assessments", "Submission")
    Evidence = apps.get_model("assessments", "Evidence")
    EvidenceRevision = apps.get_model("assessments", "EvidenceRevision")
    EvidenceGrant = apps.get_model("assessments", "EvidenceGrant")
    EvidenceGrantLog = apps.get_model("assessments", "EvidenceGrantLog")
    EvidenceLink = apps.get_model("assessments", "EvidenceLink")
    SubmissionRevision = apps.get_model("assessments", "SubmissionRevision")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")

    user = User.objects.create(email="leitung@example.org", full_name="Lea Leitung", password="!")
    partner_user = User.objects.create(email="partner@example.org", full_name="Per Partner", password="!")
    traeger = Traeger.objects.create(name="Träger Purzelbaum e. V.", city="Jülich")
    site = Einrichtung.objects.create(traeger=traeger, name="Kita Purzelbaum", city="Jülich")
    other_site = Einrichtung.objects.create(traeger=traeger, name="Kita Sonnenschein", city="Jülich")
    centre = Familienzentrum.objects.create(name="Familienzentrum Purzelbaum", traeger=traeger, form="verbund")
    FamilienzentrumSite.objects.create(familienzentrum=centre, site=site, is_contact_site=True)
    FamilienzentrumSite.objects.create(familienzentrum=centre, site=other_site)
    partner = Kooperationspartner.objects.create(name="Erziehungsberatungsstelle Jülich")
    catalogue = CatalogueVersion.objects.create(
        code="migtest",
        version="1",
        title="Prüfkatalog",
        valid_from=datetime.date(2025, 1, 1),
        source_name="migtest.yaml",
        source_sha256="0" * 64,
    )
    area = Area.objects.create(catalogue=catalogue, code="B1", kind="service", title="Bereich 1", order=1)
    criterion = Criterion.objects.create(
        catalogue=catalogue,
        area=area,
        code="B1.1",
        title="Kriterium 1",
        level="basis",
        points=2,
        logic="all",
        order=1,
    )
    assessment = Assessment.objects.create(
        familienzentrum=centre,
        catalogue=catalogue,
        kind="first",
        review_period_start=datetime.date(2025, 1, 1),
        review_period_end=datetime.date(2025, 12, 31),
        created_by=user,
    )
    submission = Submission.objects.create(
        assessment=assessment, number=1, payload={"answers": {}}, sha256="a" * 64, submitted_by=user
    )

    own = Evidence.objects.create(
        title="Konzept Elternberatung",
        kind="concept",
        owner_familienzentrum=centre,
        effective_date=datetime.date(2025, 3, 1),
        valid_until=datetime.date(2027, 3, 1),
        training_hours=Decimal("12.5"),
        created_by=user,
    )
    own.sites.add(site)
    storage_key = "2025/migtest-0001"
    stored_name = default_storage.save(f"evidence/{storage_key}", ContentFile(FILE_BYTES))
    revision = EvidenceRevision.objects.create(
        evidence=own,
        number=1,
        storage_key=storage_key,
        file=stored_name,
        original_name="Konzept Elternberatung.pdf",
        content_type="application/pdf",
        size=len(FILE_BYTES),
        sha256=hashlib.sha256(FILE_BYTES).hexdigest(),
        uploaded_by=user,
    )

    shared = Evidence.objects.create(
        title="Kooperationsvereinbarung",
        kind="agreement",
        owner_partner=partner,
        effective_date=datetime.date(2025, 2, 1),
        created_by=partner_user,
    )
    grant = EvidenceGrant.objects.create(evidence=shared, familienzentrum=centre, granted_by=partner_user)
    grant_log = EvidenceGrantLog.objects.create(
        evidence=shared, familienzentrum=centre, action="granted", actor=partner_user
    )
    link = EvidenceLink.objects.create(assessment=assessment, criterion=criterion, evidence=shared, linked_by=user)
    own_link = EvidenceLink.objects.create(assessment=assessment, criterion=criterion, evidence=own, linked_by=user)
    frozen = SubmissionRevision.objects.create(submission=submission, criterion=criterion, revision=revision)

    # The content types of the old models. A database created at the latest
    # state already has them (the reverse run moved them back), an old one
    # got them from post_migrate; either way they are found or made here.
    content_types = {
        model: ContentType.objects.get_or_create(app_label="assessments", model=model)[0].pk for model in MOVED_MODELS
    }
    permission, _ = Permission.objects.get_or_create(
        codename=PERMISSION,
        content_type_id=content_types["evidence"],
        defaults={"name": "Can export evidence"},
    )
    user.user_permissions.add(permission)

    def rows(model, *pks):
        return {row["id"]: row for row in model.objects.filter(pk__in=pks).values()}

    return {
        "user": user.pk,
        "site": site.pk,
        "own": own.pk,
        "shared": shared.pk,
        "revision": revision.pk,
        "grant": grant.pk,
        "grant_log": grant_log.pk,
        "link": link.pk,
        "own_link": own_link.pk,
        "frozen": frozen.pk,
        "stored_name": stored_name,
        "content_types": content_types,
        "permission": permission.pk,
        "values": {
            "evidence": rows(Evidence, own.pk, shared.pk),
            "evidencerevision": rows(EvidenceRevision, revision.pk),
            "evidencegrant": rows(EvidenceGrant, grant.pk),
            "evidencegrantlog": rows(EvidenceGrantLog, grant_log.pk),
            "evidencelink": rows(EvidenceLink, link.pk, own_link.pk),
            "submissionrevision": rows(SubmissionRevision, frozen.pk),
            "sites": sorted(Evidence.sites.through.objects.values_list("id", "evidence_id", "einrichtung_id")),
        },
    }


def assert_tables(present: set[str], absent: set[str]) -> None:
    tables = set(connection.introspection.table_names())
    assert present <= tables, present - tables
    assert not absent & tables, absent & tables
    # No foreign key anywhere points at a table that is not there any more
    # (SQLite rewrites the references on rename, PostgreSQL keeps them by oid).
    for table, referenced in foreign_key_targets().items():
        assert not referenced & absent, (table, referenced & absent)
    with transaction.atomic():
        connection.check_constraints()


def assert_found_in_current_models(old: dict) -> None:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import User
    from assessments.models import EvidenceLink, SubmissionRevision
    from evidence.models import Evidence, EvidenceGrant, EvidenceGrantLog, EvidenceRevision

    assert_tables(present=NEW_TABLES | {"assessments_evidencelink"}, absent=OLD_TABLES)
    assert Evidence._meta.db_table == "evidence_evidence"

    values = old["values"]
    assert {row["id"]: row for row in Evidence.objects.values()} == values["evidence"]
    assert {row["id"]: row for row in EvidenceRevision.objects.values()} == values["evidencerevision"]
    assert {row["id"]: row for row in EvidenceGrant.objects.values()} == values["evidencegrant"]
    assert {row["id"]: row for row in EvidenceGrantLog.objects.values()} == values["evidencegrantlog"]
    assert {row["id"]: row for row in EvidenceLink.objects.values()} == values["evidencelink"]
    assert {row["id"]: row for row in SubmissionRevision.objects.values()} == values["submissionrevision"]
    through = Evidence.sites.through
    assert through._meta.db_table == "evidence_evidence_sites"
    assert sorted(through.objects.values_list("id", "evidence_id", "einrichtung_id")) == values["sites"]

    own = Evidence.objects.get(pk=old["own"])
    assert own.owner_familienzentrum.name == "Familienzentrum Purzelbaum"
    assert own.training_hours == Decimal("12.5")
    assert list(own.sites.values_list("pk", flat=True)) == [old["site"]]
    shared = Evidence.objects.get(pk=old["shared"])
    assert shared.owner.name == "Erziehungsberatungsstelle Jülich"

    grant = shared.grants.get()
    assert grant.pk == old["grant"] and grant.is_active
    assert grant.familienzentrum_id == own.owner_familienzentrum_id
    log = shared.grant_log.get()
    assert (log.pk, log.action, log.actor.email) == (old["grant_log"], "granted", "partner@example.org")

    link = EvidenceLink.objects.get(pk=old["link"])
    assert link.evidence == shared
    assert EvidenceLink.objects.get(pk=old["own_link"]).evidence == own
    frozen = SubmissionRevision.objects.get(pk=old["frozen"])
    revision = frozen.revision
    assert revision.pk == old["revision"] and revision.evidence == own
    assert list(revision.submissions.all()) == [frozen]

    assert revision.file.name == old["stored_name"]
    with revision.file.open("rb") as stored:
        data = stored.read()
    assert data == FILE_BYTES
    assert hashlib.sha256(data).hexdigest() == revision.sha256

    ContentType.objects.clear_cache()
    assert not ContentType.objects.filter(app_label="assessments", model__in=MOVED_MODELS).exists()
    for model_name, pk in old["content_types"].items():
        content_type = ContentType.objects.get(app_label="evidence", model=model_name)
        assert content_type.pk == pk
        assert content_type.model_class()._meta.label_lower == f"evidence.{model_name}"
    assert ContentType.objects.get_for_model(Evidence).pk == old["content_types"]["evidence"]
    permission = Permission.objects.get(pk=old["permission"])
    assert (permission.content_type.app_label, permission.codename) == ("evidence", PERMISSION)
    user = User.objects.get(pk=old["user"])
    assert user.user_permissions.filter(content_type__app_label="evidence", codename=PERMISSION).exists()

    # The renamed tables go on numbering where they left off.
    newer = Evidence.objects.create(
        title="Neu", owner_familienzentrum=own.owner_familienzentrum, effective_date=own.effective_date, created_by=user
    )
    assert newer.pk > max(old["own"], old["shared"])
    newer.delete()


def assert_found_in_old_schema(apps, old: dict) -> None:
    assert_tables(present=OLD_TABLES | {"assessments_evidencelink"}, absent=NEW_TABLES)

    Evidence = apps.get_model("assessments", "Evidence")

    def rows(model_name):
        return {row["id"]: row for row in apps.get_model("assessments", model_name).objects.values()}

    values = old["values"]
    for model_name in [*MOVED_MODELS, "evidencelink", "submissionrevision"]:
        assert rows(model_name) == values[model_name], model_name
    assert sorted(Evidence.sites.through.objects.values_list("id", "evidence_id", "einrichtung_id")) == values["sites"]

    revision = apps.get_model("assessments", "EvidenceRevision").objects.get(pk=old["revision"])
    with default_storage.open(revision.file.name, "rb") as stored:
        assert stored.read() == FILE_BYTES

    ContentType = apps.get_model("contenttypes", "ContentType")
    assert not ContentType.objects.filter(app_label="evidence", model__in=MOVED_MODELS).exists()
    for model_name, pk in old["content_types"].items():
        assert ContentType.objects.get(app_label="assessments", model=model_name).pk == pk
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(pk=old["permission"])
    assert (permission.content_type.app_label, permission.content_type.model) == ("assessments", "evidence")
    User = apps.get_model("accounts", "User")
    assert User.objects.get(pk=old["user"]).user_permissions.filter(pk=permission.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_document_library_moves_to_its_app_without_losing_a_row_or_a_file():
    executor = fresh_executor()
    latest = sorted(executor.loader.graph.leaf_nodes())
    old = old_targets(executor.loader.graph)
    assert LAST_OLD_ASSESSMENTS in old and ("evidence", None) in old
    try:
        executor = migrate_to(old)
        assert not {node for node in executor.loader.applied_migrations if node[0] == "evidence"}
        old_state = old_apps(executor, old)
        data = fill_old_schema(old_state)
        assert_found_in_old_schema(old_state, data)

        executor = migrate_to(latest)
        assert set(latest) <= set(executor.loader.applied_migrations)
        assert_found_in_current_models(data)

        # The way back keeps everything too, and so does the second way forward.
        executor = migrate_to(old)
        assert_found_in_old_schema(old_apps(executor, old), data)

        executor = migrate_to(latest)
        assert_found_in_current_models(data)
    finally:
        # Whatever happened, the following tests get the latest schema.
        migrate_to(latest)
