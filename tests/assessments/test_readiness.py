"""Readiness that tells the truth: evidence a fulfilled criterion expects,
the sites a Verbund must name, counted in progress, points and thresholds;
and a readiness page grouped by area with titles and correct plurals. Also
what the centre sees after submitting, and a certified centre's start page."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from assessments import services
from assessments.evaluation import criteria_with_evidence, evaluate, group_readiness, readiness_problems
from assessments.models import AssessmentKind, ItemStatus
from assessments.selectors import RecertificationWindow, leitung_centre_cards
from certification.catalogue import CatalogueError, parse_catalogue
from certification.models import (
    Area,
    Criterion,
    FamilienzentrumForm,
    FamilienzentrumSite,
    Guetesiegel,
    Membership,
    MembershipRole,
)
from tests.assessments.conftest import answer_all, link_one_document
from tests.factories import EinrichtungFactory, FamilienzentrumFactory


def verbund_draft(alice, catalogue, *, profile="4B"):
    """A Verbund of three sites led by alice, with a draft on `catalogue`."""
    centre = FamilienzentrumFactory(form=FamilienzentrumForm.VERBUND, name="Verbund Eifel")
    first = centre.site_links.get().site
    for name in ("Kita Zwei", "Kita Drei"):
        FamilienzentrumSite.objects.create(
            familienzentrum=centre, site=EinrichtungFactory(traeger=centre.traeger, name=name)
        )
    Membership.objects.create(user=alice, role=MembershipRole.LEITUNG, site=first)
    alice = type(alice).objects.get(pk=alice.pk)
    return services.start_assessment(
        user=alice,
        familienzentrum=centre,
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=catalogue, code=profile)],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    ), alice


def save(assessment, user, code, status=ItemStatus.FULFILLED, site_ids=()):
    criterion = assessment.catalogue.criteria.get(code=code)
    existing = assessment.answers.filter(criterion=criterion).first()
    return services.save_answer(
        user=user,
        assessment_id=assessment.pk,
        criterion_code=code,
        item_statuses={item.code: status for item in criterion.items.all()},
        narrative="",
        site_ids=list(site_ids),
        expected_version=existing.version if existing else 0,
    )


def site_ids_of(assessment):
    return [link.site_id for link in assessment.familienzentrum.site_links.order_by("pk")]


# ------------------------------------------------------------------ evidence


def test_a_verbund_with_no_evidence_is_not_ready_although_every_threshold_is_met(client, alice, catalogue):
    draft, alice = verbund_draft(alice, catalogue)
    answer_all(draft, alice, evidence=False)
    evaluation = evaluate(draft)
    assert evaluation.rules_met  # the claims alone reach every threshold ...
    problems = readiness_problems(draft, evaluation)
    in_scope = evaluation.scope_criteria
    # ... but every fulfilled criterion of the scope lacks its evidence, and nothing else is open.
    assert {problem.kind for problem in problems} == {"evidence"}
    assert {problem.criterion_code for problem in problems} == {criterion.code for criterion in in_scope}
    with pytest.raises(services.TransitionRefused):
        services.submit(user=alice, assessment_id=draft.pk)

    client.force_login(alice)
    body = client.get(reverse("assessments:ready", args=[draft.pk])).content.decode()
    assert "Alle Kriterien sind beantwortet" not in body
    assert "Jetzt verbindlich einreichen" not in body
    assert f"Vor dem Einreichen sind noch {len(in_scope)} Kriterien offen." in body
    assert f"Bei {len(in_scope)} als erfüllt angegebenen Kriterien fehlt noch jeder Nachweis." in body
    assert body.count("Als erfüllt angegeben, aber noch kein Nachweis verknüpft.") == len(in_scope)

    # One document for all of them, and the Verbund may submit.
    document = None
    for criterion in in_scope:
        document = link_one_document(draft, alice, criterion.code, document)
    assert readiness_problems(draft) == []
    body = client.get(reverse("assessments:ready", args=[draft.pk])).content.decode()
    assert "Jetzt verbindlich einreichen" in body


def test_a_criterion_not_fulfilled_needs_no_evidence_and_one_without_the_flag_neither(alice, draft, mini_catalogue):
    Criterion.objects.filter(catalogue=mini_catalogue, code="1.1").update(evidence_required=True)
    save(draft, alice, "1.1", ItemStatus.NOT_FULFILLED)
    save(draft, alice, "1.2")  # evidence_required is False in the mini catalogue
    kinds = {(problem.criterion_code, problem.kind) for problem in readiness_problems(draft)}
    assert ("1.1", "evidence") not in kinds and ("1.2", "evidence") not in kinds
    save(draft, alice, "1.1")
    kinds = {(problem.criterion_code, problem.kind) for problem in readiness_problems(draft)}
    assert ("1.1", "evidence") in kinds


def test_a_partners_document_counts_only_while_shared(alice, draft, mini_catalogue, partner_org):
    from evidence.models import Evidence, EvidenceGrant, EvidenceKind, EvidenceRevision

    criterion = mini_catalogue.criteria.get(code="1.1")
    document = Evidence.objects.create(
        title="Vereinbarung",
        kind=EvidenceKind.OFFER,
        effective_date=date(2026, 9, 1),
        owner_partner=partner_org,
        created_by=alice,
    )
    EvidenceRevision.objects.create(
        evidence=document,
        number=1,
        storage_key="readiness-test",
        file="x.pdf",
        original_name="x.pdf",
        sha256="0" * 64,
        size=1,
        content_type="application/pdf",
        uploaded_by=alice,
    )
    draft.evidence_links.create(criterion=criterion, evidence=document, linked_by=alice)
    assert criterion.pk not in criteria_with_evidence(draft)
    grant = EvidenceGrant.objects.create(evidence=document, familienzentrum=draft.familienzentrum, granted_by=alice)
    assert criterion.pk in criteria_with_evidence(draft)
    grant.revoked_at = grant.granted_at
    grant.save()
    assert criterion.pk not in criteria_with_evidence(draft)


# ------------------------------------------------------------------ Verbund sites


def test_a_per_site_criterion_with_one_site_is_neither_answered_nor_fulfilled(alice, mini_catalogue):
    Criterion.objects.filter(catalogue=mini_catalogue, code="1.1").update(per_site=True)
    draft, alice = verbund_draft(alice, mini_catalogue)
    first, *others = site_ids_of(draft)
    criterion = mini_catalogue.criteria.get(code="1.1")
    save(draft, alice, "1.1", site_ids=[first])

    evaluation = evaluate(draft)
    area_1 = evaluation.progress_for(criterion.area)
    assert criterion.pk not in evaluation.fulfilled_criterion_ids
    assert (area_1.answered, area_1.fulfilled, area_1.points) == (0, 0, 0)
    [problem] = [problem for problem in readiness_problems(draft, evaluation) if problem.criterion_code == "1.1"]
    assert problem.kind == "sites"
    assert problem.message == "Muss an jedem Standort erfüllt sein: bitte auch Kita Drei, Kita Zwei nennen."

    save(draft, alice, "1.1", site_ids=[first, *others])
    evaluation = evaluate(draft)
    area_1 = evaluation.progress_for(criterion.area)
    assert criterion.pk in evaluation.fulfilled_criterion_ids
    assert (area_1.answered, area_1.fulfilled, area_1.points) == (1, 1, criterion.points)
    assert not [problem for problem in readiness_problems(draft, evaluation) if problem.criterion_code == "1.1"]


def test_a_verbund_criterion_without_a_delivering_site_counts_for_no_threshold(alice, mini_catalogue):
    draft, alice = verbund_draft(alice, mini_catalogue)
    answer_all(draft, alice)  # every criterion with the first site: all thresholds met
    assert evaluate(draft).rules_met
    for code in ("1.1", "4B1"):  # the Basis criteria the Basis rule needs (minimum 2 of 1, 4B, 4H)
        save(draft, alice, code, site_ids=[])
    save(draft, alice, "4H1", site_ids=[])
    evaluation = evaluate(draft)
    basis = next(result for result in evaluation.rules if result.rule.code == "basis")
    assert not basis.met
    assert basis.missing == ["es fehlen noch 2 Basiskriterien (erfüllt 0 von mindestens 2)"]
    messages = {problem.criterion_code: problem.message for problem in readiness_problems(draft, evaluation)}
    assert messages["1.1"] == "Bitte den erbringenden Standort nennen."


def test_a_single_site_names_no_site(alice, draft):
    save(draft, alice, "1.1", site_ids=[])
    assert draft.catalogue.criteria.get(code="1.1").pk in evaluate(draft).fulfilled_criterion_ids


def test_the_card_shows_the_site_requirement_while_answering(client, alice, mini_catalogue, draft):
    Criterion.objects.filter(catalogue=mini_catalogue, code="1.1").update(per_site=True, evidence_required=True)
    client.force_login(alice)
    single = client.get(reverse("assessments:area", args=[draft.pk, "1"])).content.decode()
    assert "Muss an jedem Standort erfüllt sein" not in single
    assert "Bitte den erbringenden Standort nennen" not in single
    assert single.count('data-testid="evidence-requirement"') == 1

    services.withdraw(user=alice, assessment_id=draft.pk, reason="Wir werden ein Verbund.")
    verbund, alice = verbund_draft(alice, mini_catalogue)
    client.force_login(alice)
    body = client.get(reverse("assessments:area", args=[verbund.pk, "1"])).content.decode()
    card_1 = body[body.index('id="kriterium-') : body.index("</article>")]
    assert "Muss an jedem Standort erfüllt sein" in card_1 and "Bitte den erbringenden Standort" not in card_1
    assert body.count("Bitte den erbringenden Standort nennen") == 1  # 1.2, the area's other criterion


# ------------------------------------------------------------------ plurals and grouping


def test_threshold_texts_use_singular_and_plural(alice, draft):
    save(draft, alice, "1.1")  # one Basis criterion of the minimum 2
    basis = next(result for result in evaluate(draft).rules if result.rule.code == "basis")
    assert basis.missing == ["es fehlt noch 1 Basiskriterium (erfüllt 1 von mindestens 2)"]
    structure = next(result for result in evaluate(draft).rules if result.rule.code == "struktur")
    assert structure.missing == ["es fehlt noch 1 Punkt (erreicht 0 von mindestens 1)"]


def test_the_ready_page_groups_by_area_with_titles_and_counts_in_the_right_words(client, alice, draft):
    answer_all(draft, alice, skip_criteria={"1.2", "5.1", "5.2"})
    client.force_login(alice)
    body = client.get(reverse("assessments:ready", args=[draft.pk])).content.decode()
    assert "Vor dem Einreichen sind noch 3 Kriterien offen." in body
    assert "Punkte:" not in body and "fehlen noch 3 Punkte" not in body  # "Punkte" only for score points
    sections = re.findall(r'<section class="mb-4" aria-labelledby="problems-area-\d+" data-area="([^"]+)"', body)
    assert sections == ["1", "5"]  # catalogue order, only areas with something open
    headings = re.findall(r'<h2 class="h5" id="problems-area-\d+">\s*(.*?)\s*<span', body)
    assert headings == ["1 Bereich 1", "5 Bereich 5"]
    assert "1 offenes Kriterium" in body and "2 offene Kriterien" in body
    criterion = draft.catalogue.criteria.get(code="1.2")
    link = re.search(rf'<a class="fw-semibold gap-1" href="[^"]*#kriterium-{criterion.pk}">(.*?)</a>', body).group(1)
    assert re.sub(r"<[^>]+>", "", link) == "1.2 Kriterium 1.2"  # the link says where it leads


def test_one_step_and_one_criterion_read_in_the_singular(client, alice, draft):
    answer_all(draft, alice, skip_criteria={"1.1"})
    draft.profile_areas.clear()
    client.force_login(alice)
    body = client.get(reverse("assessments:ready", args=[draft.pk])).content.decode()
    assert "Vor dem Einreichen ist noch 1 Kriterium offen." in body
    general = group_readiness(readiness_problems(draft), evaluate(draft)).general
    kinds = [problem.kind for problem in general]
    assert kinds[0] == "profile" and set(kinds) <= {"profile", "threshold"}
    if len(general) == 1:
        assert "Dazu kommt 1 weiterer Schritt." in body
    else:
        assert f"Dazu kommen {len(general)} weitere Schritte." in body
    assert "Für die ganze Selbstbewertung" in body


def test_the_last_area_leads_to_the_readiness_check_and_the_others_to_the_next(client, alice, draft):
    client.force_login(alice)
    first = client.get(reverse("assessments:area", args=[draft.pk, "1"])).content.decode()
    assert "Weiter zum nächsten Bereich: 4B Bereich 4B" in first
    assert reverse("assessments:area", args=[draft.pk, "4B"]) in first
    last = client.get(reverse("assessments:area", args=[draft.pk, "5"])).content.decode()
    assert "Weiter zum nächsten Bereich" not in last
    assert "weiter zur Prüfung vor dem Einreichen" in last and reverse("assessments:ready", args=[draft.pk]) in last


# ------------------------------------------------------------------ after submitting


def test_after_submit_the_centre_sees_what_happens_next_and_no_checksum(client, alice, draft, olga):
    answer_all(draft, alice)
    client.force_login(alice)
    response = client.post(reverse("assessments:ready", args=[draft.pk]), follow=True)
    body = response.content.decode()
    sha = draft.submissions.get().sha256
    assert "Die Selbstbewertung ist eingereicht." in body
    assert "Prüfsumme" not in body and sha[:16] not in body
    assert "Wie es weitergeht" in body
    assert "Wer: die Zertifizierungsstelle" in body and "Vier-Augen-Prinzip" in body
    current = re.search(r'data-step="(\w+)" aria-current="step"', body).group(1)
    assert current == "assign"

    client.force_login(olga)  # the office sees the fingerprint where it works with it
    office = client.get(reverse("assessments:detail", args=[draft.pk])).content.decode()
    assert sha[:16] in office and sha in office
    assert "Wie es weitergeht" not in office


# ------------------------------------------------------------------ a certified centre's start page


def certify(centre, valid_from=date(2025, 8, 1)):
    return Guetesiegel.objects.create(
        familienzentrum=centre,
        number="GS-FZ-2025-00042",
        valid_from=valid_from,
        valid_until=date(valid_from.year + 4, 7, 31),
        snapshot_sha256="0" * 64,
    )


def test_the_recertification_window_opens_in_the_october_before_the_review_year(db):
    seal = Guetesiegel(valid_from=date(2025, 8, 1), valid_until=date(2029, 7, 31))
    window = RecertificationWindow.for_seal(seal)
    assert (window.opens, window.review_start, window.review_end) == (
        date(2027, 10, 1),
        date(2028, 1, 1),
        date(2029, 1, 31),
    )
    assert not window.is_open(date(2027, 9, 30)) and window.is_open(date(2027, 10, 1))


@pytest.fixture
def certified_centre(alice, centre, draft):
    """alice's centre with a certified cycle on record and its seal."""
    from assessments.models import Assessment, AssessmentState

    seal = certify(centre)
    Assessment.objects.filter(pk=draft.pk).update(state=AssessmentState.CERTIFIED, seal=seal)
    return seal


def test_a_certified_centre_leads_with_its_seal_and_offers_no_early_recertification(client, alice, certified_centre):
    with time_machine.travel(date(2026, 12, 1), tick=False):
        client.force_login(alice)
        body = client.get(reverse("home")).content.decode()
        [card] = leitung_centre_cards(alice)
    assert card.can_recertify and not card.recertification_due
    assert body.index("GS-FZ-2025-00042") < body.index("1 Standort") < body.index("Re-Zertifizierung")
    assert "31.07.2029" in body
    assert "Re-Zertifizierung starten" not in body
    assert "Die Re-Zertifizierung beginnt im Oktober 2027" in body
    assert re.search(r'class="btn btn-link btn-sm px-0" href="[^"]+">Re-Zertifizierung vorzeitig starten</a>', body)
    assert "Eine Urkunde als PDF liegt noch nicht vor" in body


def test_in_the_window_the_recertification_is_the_main_step(client, alice, certified_centre):
    with time_machine.travel(date(2027, 10, 2), tick=False):
        client.force_login(alice)
        body = client.get(reverse("home")).content.decode()
    assert re.search(r'class="btn btn-primary" href="[^"]+">Re-Zertifizierung starten</a>', body)
    assert "sie prüft das Jahr vom 01.01.2028 bis 31.01.2029" in body


def test_the_certificate_is_a_clear_button_when_it_exists(client, alice, certified_centre, draft):
    from assessments.models import Submission
    from reports.models import Report, ReportKind, ReportStatus

    submission = Submission.objects.create(assessment=draft, number=1, submitted_by=alice, payload={}, sha256="0" * 64)
    report = Report.objects.create(
        submission=submission,
        kind=ReportKind.CERTIFICATE,
        status=ReportStatus.DONE,
        file_name="x.pdf",
        download_name="urkunde.pdf",
        content_type="application/pdf",
    )
    client.force_login(alice)
    body = client.get(reverse("home")).content.decode()
    url = reverse("reports:download", args=[draft.pk, report.pk])
    assert re.search(rf'class="btn btn-primary" data-testid="certificate-download"\s+href="{url}">', body)
    assert "Urkunde herunterladen (PDF)" in body


# ------------------------------------------------------------------ the catalogue says which criteria expect evidence


def test_the_loader_reads_evidence_required_with_typical_evidence_as_the_default():
    from tests.certification.test_catalogue_loader import MINIMAL

    text = (
        MINIMAL.replace(
            "        title: Wegweiser\n", "        title: Wegweiser\n        typical_evidence: Die Übersicht.\n"
        )
        .replace(
            "        title: Sprechstunde\n",
            "        title: Sprechstunde\n        typical_evidence: Terminplan.\n        evidence_required: false\n",
        )
        .replace("        title: Analyse\n", "        title: Analyse\n        evidence_required: true\n")
    )
    parsed = parse_catalogue(text, "test.yaml")
    flags = {criterion.code: criterion.evidence_required for area in parsed.areas for criterion in area.criteria}
    # 1.1: typical evidence named, key absent -> expected; 1.2: explicitly not;
    # 4B1: nothing named -> not expected; 5.1: explicitly expected.
    assert flags == {"1.1": True, "1.2": False, "4B1": False, "5.1": True}


def test_the_loader_refuses_a_flag_that_is_not_true_or_false():
    from tests.certification.test_catalogue_loader import MINIMAL

    text = MINIMAL.replace("        title: Analyse\n", "        title: Analyse\n        evidence_required: ja\n")
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(text, "test.yaml")
    assert "evidence_required" in str(refused.value) and "true oder false" in str(refused.value)


def test_the_shipped_catalogue_expects_evidence_for_every_criterion(catalogue):
    assert not catalogue.criteria.filter(evidence_required=False).exists()
    assert catalogue.criteria.count() == 80
