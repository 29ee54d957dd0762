"""The office moves a cycle's dates (issue 12)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.deadline_forms import DeadlinesForm
from assessments.deadlines import cycle_dates
from assessments.exceptions import TransitionRefused
from assessments.models import DeadlineReminder
from assessments.rules import get_assessment_for_user
from assessments.services.deadlines import DeadlinesConflict, update_deadlines


@login_required
def deadlines(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_deadlines")
    form = DeadlinesForm(request.POST or None, assessment=assessment)
    if request.method == "POST" and form.is_valid():
        try:
            changes = update_deadlines(
                user=request.user,
                assessment_id=assessment.pk,
                values=form.values(),
                loaded=form.cleaned_data["loaded"],
            )
        except DeadlinesConflict as conflict:
            messages.error(request, conflict.message)
            # The form again, with the dates as they are now.
            assessment.refresh_from_db()
            form = DeadlinesForm(assessment=assessment)
        except ValidationError as invalid:
            for field, errors in invalid.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except TransitionRefused as refused:
            form.add_error(None, refused.message)
        else:
            if changes:
                messages.success(request, _("Die Fristen sind gespeichert."))
            else:
                messages.info(request, _("Keine Frist wurde geändert."))
            return redirect("assessments:detail", assessment.pk)
    context = {
        "assessment": assessment,
        "form": form,
        "dates": cycle_dates(assessment, timezone.localdate()),
        "reminders": DeadlineReminder.objects.filter(assessment=assessment).order_by("-sent_at")[:20],
    }
    return render(request, "assessments/deadlines.html", context)
