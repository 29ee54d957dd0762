"""The checklist page's hot loop: a card per criterion, four answer choices
per item. Django's widget rendering runs a template per radio button (about
a third of the page's time); these tags write the same markup directly."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join

register = template.Library()

CHOICE = (
    '<div class="form-check form-check-inline"><input type="{}" name="{}" value="{}" id="{}"{}> '
    '<label class="form-check-label" for="{}">{}</label></div>'
)


@register.simple_tag
def choice_inputs(bound_field):
    """The radio buttons (a single choice) or check boxes (several) of
    `bound_field`, as Django's RadioSelect / CheckboxSelectMultiple would
    render them inside Bootstrap's form-check: same names, ids and values."""
    multiple = bool(getattr(bound_field.field.widget, "allow_multiple_selected", False))
    input_type = "checkbox" if multiple else "radio"
    value = bound_field.value()
    selected = {str(item) for item in value} if multiple and value else {"" if value is None else str(value)}
    base_id = bound_field.auto_id
    rows = []
    for index, (choice_value, label) in enumerate(bound_field.field.choices):
        choice_id = f"{base_id}_{index}"
        checked = " checked" if str(choice_value) in selected else ""
        rows.append((input_type, bound_field.html_name, choice_value, choice_id, checked, choice_id, label))
    return format_html_join("\n", CHOICE, rows)
