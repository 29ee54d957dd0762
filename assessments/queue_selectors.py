"""Reads of the work queues (issue 12): the office's queue, a reviewer's
queue and the centre lists. The queues' pages are read in three queries
however many rows there are: a page of primary keys with their count
(filtered and sorted on the assessments alone, see views.queues.KeyPaginator),
then those rows with what they show (page_rows: the centre, its Träger, the
reviewers, the deadline, the town) and the progress of their latest
submissions. with_queue_columns annotates all of it on a queryset for other
readers. Who may see which list is the
rule book's question (assessments.rules); which rows a list holds is
answered here, scoped to the user who asks."""

from __future__ import annotations

from datetime import date

from django.db.models import (
    Case,
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import (
    OPEN_STATES,
    REVIEW_QUEUE_STATES,
    Assessment,
    AssessmentState,
    CriterionVerdict,
    Submission,
)
from assessments.selectors import with_deadline
from certification.models import Einrichtung, Familienzentrum, FamilienzentrumSite, Guetesiegel
from certification.selectors import roles_for

# The states in their order through the cycle: the "state" sort key.
STATE_ORDER = [
    AssessmentState.DRAFT,
    AssessmentState.SUBMITTED,
    AssessmentState.IN_REVIEW,
    AssessmentState.CHANGES_REQUESTED,
    AssessmentState.RECOMMENDED,
    AssessmentState.CERTIFIED,
    AssessmentState.NOT_CERTIFIED,
    AssessmentState.WITHDRAWN,
]
# What a reviewer's queue shows unless asked for more: the reviews still to do.
OPEN_REVIEW_STATES = REVIEW_QUEUE_STATES


def state_rank(field: str = "state") -> Case:
    return Case(
        *[When(**{field: state}, then=Value(rank)) for rank, state in enumerate(STATE_ORDER)],
        default=Value(len(STATE_ORDER)),
        output_field=IntegerField(),
    )


def _latest_submission(assessment_ref) -> QuerySet[Submission]:
    return Submission.objects.filter(assessment_id=assessment_ref).order_by("-number")


def _current_seal_until(centre_ref) -> Subquery:
    """The end of the centre's current seal (its latest), or None."""
    seals = Guetesiegel.objects.filter(familienzentrum_id=centre_ref).order_by("-valid_from", "-pk")
    return Subquery(seals.values("valid_until")[:1])


def _town(centre_field: str) -> Subquery:
    """The town of the centre's grant recipient (its first site otherwise).
    The site is found first and its town read by primary key: joined in one
    subquery, PostgreSQL without fresh statistics read every site once per
    row (half a millisecond each, 50 times a page)."""
    links = FamilienzentrumSite.objects.filter(familienzentrum_id=OuterRef(OuterRef(centre_field))).order_by(
        "-is_grant_recipient", "pk"
    )
    site = Einrichtung.objects.filter(pk=Subquery(links.values("site_id")[:1])).order_by()
    return Subquery(site.values("city")[:1])


def with_queue_columns(queryset: QuerySet[Assessment], *, centre_columns: bool = True) -> QuerySet[Assessment]:
    """Assessments with what a queue row shows: the centre, its Träger and
    the reviewers (joined, only the columns shown), `deadline`, `seal_until`,
    `town`, and the review progress of the latest submission: `verdicts_given`
    out of `criteria_in_scope` (subqueries, evaluated for the page's rows).
    Without `centre_columns`, no `seal_until` and `town` (the centre list has
    them on its centres). The "state" sort key's rank is added by the filter
    that sorts by it (assessments.filters), so the SQL stays short to build."""
    latest = _latest_submission(OuterRef(OuterRef("pk"))).values("pk")[:1]
    verdicts = (
        CriterionVerdict.objects.filter(submission_id=Subquery(latest))
        .order_by()
        .values("submission_id")
        .annotate(count=Func("pk", function="COUNT"))
        .values("count")
    )
    criteria = _latest_submission(OuterRef("pk")).values("criteria_count")[:1]
    queryset = (
        queryset.select_related("familienzentrum__traeger", "reviewer", "second_reviewer")
        .only(
            "pk",
            "state",
            "kind",
            "submitted_at",
            "submission_due",
            "review_due",
            "queries_due",
            "recommended_by_id",
            "familienzentrum__name",
            "familienzentrum__form",
            "familienzentrum__certification_number",
            "familienzentrum__traeger__name",
            "reviewer__full_name",
            "reviewer__email",
            "second_reviewer__full_name",
            "second_reviewer__email",
        )
        .annotate(verdicts_given=Coalesce(Subquery(verdicts), 0), criteria_in_scope=Subquery(criteria))
    )
    if centre_columns:
        queryset = queryset.annotate(
            seal_until=_current_seal_until(OuterRef("familienzentrum_id")),
            town=_town("familienzentrum_id"),
        )
    return with_deadline(queryset)


# What a row of a queue reads, as plain values: a page builds its rows from
# these, without a model instance per row and joined table.
ROW_VALUES = (
    "pk",
    "state",
    "kind",
    "submitted_at",
    "deadline",
    "reviewer_id",
    "second_reviewer_id",
    "familienzentrum__name",
    "familienzentrum__form",
    "familienzentrum__certification_number",
    "familienzentrum__traeger__name",
    "reviewer__full_name",
    "reviewer__email",
    "second_reviewer__full_name",
    "second_reviewer__email",
    "verdicts_given",
    "criteria_in_scope",
)


def row_values(queryset: QuerySet[Assessment], *, centre_columns: bool = True) -> QuerySet:
    """A queryset from with_queue_columns as the dicts the rows are built from."""
    return queryset.values(*ROW_VALUES, *(("town",) if centre_columns else ()))


def _submitted_nulls_last():
    # The longest waiting first; never-submitted drafts after all the others.
    return F("submitted_at").asc(nulls_last=True)


def _queue(queryset: QuerySet[Assessment], columns: bool) -> QuerySet[Assessment]:
    # Without `columns` only what the filters and sort keys need (`deadline`;
    # `seal_until` on demand, with_seal_until): the queue pages read a page's
    # primary keys from it and the rows with page_rows, so building the
    # columns' subqueries on every request would be spent on nothing.
    queryset = with_queue_columns(queryset) if columns else with_deadline(queryset)
    return queryset.order_by(_submitted_nulls_last(), "pk")


def with_seal_until(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Assessments annotated with their centre's current seal's end, unless they have it."""
    if "seal_until" in queryset.query.annotations:
        return queryset
    return queryset.annotate(seal_until=_current_seal_until(OuterRef("familienzentrum_id")))


def office_queue(*, columns: bool = True) -> QuerySet[Assessment]:
    """Every assessment the office may list in its queue: between
    submission and decision, and drafts (the filter narrows drafts to those
    near or over their submission date). Which states are shown by default
    is the filter's business (assessments.filters.OfficeQueueFilter)."""
    queryset = Assessment.objects.filter(state__in=[AssessmentState.DRAFT, *REVIEW_QUEUE_STATES])
    return _queue(queryset, columns)


def reviewer_queue(user, *, columns: bool = True) -> QuerySet[Assessment]:
    """The assessments the user is reviewer or second reviewer of, in every
    state (the filter shows the open ones by default). Nobody else's."""
    if not user.is_authenticated:
        return Assessment.objects.none()
    queryset = Assessment.objects.filter(Q(reviewer_id=user.pk) | Q(second_reviewer_id=user.pk))
    return _queue(queryset, columns)


# ---------------------------------------------------------------- the centre lists


def _current_assessment(centre_ref) -> QuerySet[Assessment]:
    """A centre's current assessment: its open one (at most one, a database
    constraint says so), else its newest."""
    return Assessment.objects.filter(familienzentrum_id=centre_ref).order_by(
        Case(When(state__in=OPEN_STATES, then=Value(0)), default=Value(1)), "-created_at", "-pk"
    )


def centres_for_list(user) -> QuerySet[Familienzentrum]:
    """The centres of the centre list: the office all, Träger staff those of
    their Träger, nobody else any; by name, each with its current
    assessment's id, its seal's end and its town. What a filter or sort key
    asks of the current assessment (its state, kind, deadline ...) is
    annotated on demand by `with_current` (a subquery per centre the filter
    looks at), so the plain list does not build or run them. The rows shown
    are completed with `current_assessments` (one more query)."""
    roles = roles_for(user)
    if roles.is_office:
        queryset = Familienzentrum.objects.all()
    elif roles.traeger_ids:
        queryset = Familienzentrum.objects.filter(traeger_id__in=roles.traeger_ids)
    else:
        return Familienzentrum.objects.none()
    queryset = (
        queryset.select_related("traeger")
        .only("pk", "name", "form", "certification_number", "traeger__name")
        .annotate(
            current_id=Subquery(_current_assessment(OuterRef("pk")).values("pk")[:1]),
            seal_until=_current_seal_until(OuterRef("pk")),
            town=_town("pk"),
        )
    )
    return queryset.order_by("name", "pk")


def _current_value(name: str) -> Subquery:
    current = _current_assessment(OuterRef("pk"))
    if name == "deadline":
        current = with_deadline(current)
    elif name == "state_rank":
        current = current.annotate(state_rank=state_rank())
    return Subquery(current.values(name)[:1])


# The current assessment's values the centre list's filters and sort keys use,
# under the names the queues' rows have.
CURRENT_VALUES = {"state", "kind", "submitted_at", "deadline", "reviewer_id", "second_reviewer_id", "state_rank"}


def with_current(queryset: QuerySet[Familienzentrum], *names: str) -> QuerySet[Familienzentrum]:
    """`queryset` (from centres_for_list) annotated with the current
    assessment's `names` it does not have yet."""
    missing = {name for name in names if name in CURRENT_VALUES and name not in queryset.query.annotations}
    return queryset.annotate(**{name: _current_value(name) for name in sorted(missing)}) if missing else queryset


# ---------------------------------------------------------------- the rows of one page

# What a page's row reads of its assessment, as plain values (no model
# instance per row and joined table); the progress is added by _add_progress.
PAGE_ROW_VALUES = tuple(name for name in ROW_VALUES if name not in ("verdicts_given", "criteria_in_scope"))


def page_rows(ids, *, town: bool = True) -> list[dict]:
    """The row values (as row_values gives them, with `verdicts_given` and
    `criteria_in_scope`) of the assessments `ids`, in that order, in two
    queries whatever the population: the rows by primary key, then the
    progress of their latest submissions. A page's ids come from the
    filtered and sorted queue (values_list("pk")), so the sort and the count
    run on the assessments alone and only 50 rows are joined."""
    ids = list(ids)
    if not ids:
        return []
    latest = _latest_submission(OuterRef("pk")).values("pk")[:1]
    queryset = with_deadline(Assessment.objects.filter(pk__in=ids).order_by()).annotate(
        latest_submission_id=Subquery(latest)
    )
    names = [*PAGE_ROW_VALUES, "latest_submission_id"]
    if town:
        queryset = queryset.annotate(town=_town("familienzentrum_id"))
        names.append("town")
    by_pk = {values["pk"]: values for values in queryset.values(*names)}
    rows = [by_pk[pk] for pk in ids if pk in by_pk]
    _add_progress(rows)
    return rows


def _add_progress(rows: list[dict]) -> None:
    """`verdicts_given` and `criteria_in_scope` of each row's latest
    submission, in one query grouped over the page's submissions (not a
    subquery per row: PostgreSQL's estimate for that, without fresh
    statistics, crossed its JIT threshold and compiling cost 30 ms)."""
    submissions = {row["latest_submission_id"] for row in rows} - {None}
    progress = {}
    if submissions:
        progress = {
            pk: (given, total)
            for pk, total, given in Submission.objects.filter(pk__in=list(submissions))
            .order_by()
            .values("pk", "criteria_count")  # grouped by these two only, never by the payload
            .annotate(given=Count("verdicts"))
            .values_list("pk", "criteria_count", "given")
        }
    for row in rows:
        given, total = progress.get(row["latest_submission_id"], (0, None))
        row["verdicts_given"] = given
        row["criteria_in_scope"] = total


def current_assessments(centres) -> dict[int, dict]:
    """The current assessments of a page of centres (centres_for_list
    annotates their ids), as the queue's row values, in two queries."""
    ids = [centre.current_id for centre in centres if centre.current_id]
    return {values["pk"]: values for values in page_rows(ids, town=False)}


def days_waiting(state: str, submitted_at, today: date) -> int | None:
    """Days since the latest submission, while the certifier has it (None otherwise)."""
    if submitted_at is None or state not in REVIEW_QUEUE_STATES:
        return None
    return (today - timezone.localtime(submitted_at).date()).days
