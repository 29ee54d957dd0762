"""The rows of the work queues and the centre list, written as HTML here.

A page holds 50 rows of nine cells; through the template engine they were
two thirds of the page's time (a node and a variable lookup per value, about
1,700 per page), which kept the lists far above the bound of 3x the login
page (issue 12). As Django's admin does for its change list, the rows are
made in Python: every value passes html.escape, which escapes the same five
characters as Django's autoescaping; the labels and words are translated
once per page by the view. The tables' heads and everything around them stay
in the templates.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from assessments.assignment_selectors import display_name


def _e(value) -> str:
    return escape(str(value), quote=True)


def _or_dash(value: str) -> str:
    return _e(value) if value else "–"


def _centre_cell(label: str, name: str, url: str, line: str) -> str:
    title = f'<a href="{_e(url)}">{_e(name)}</a>' if url else f"<strong>{_e(name)}</strong>"
    return (
        f'<td data-label="{label}" class="queue-centre">{title}'
        f'<small class="d-block text-body-secondary">{_e(line)}</small></td>'
    )


def _row_cells(row, labels: dict[str, str], *, show_reviewers: bool = True, state_label: str = "state") -> list[str]:
    """The cells from the state to the reviewers, shared by the queues and the centre list."""
    mark = (
        f' <span class="badge queue-mark queue-mark-{_e(row.deadline_status)}">{_e(row.deadline_mark)}</span>'
        if row.deadline_mark
        else ""
    )
    if row.progress:
        progress = (
            f'<span class="text-nowrap">{_e(row.progress)}</span><div class="progress queue-progress" '
            f'aria-hidden="true"><div class="progress-bar progress-w-{int(row.progress_percent)}"></div></div>'
        )
    else:
        progress = "–"
    cells = [
        f'<td data-label="{labels[state_label]}">{_e(row.state_label)}'
        f'<small class="d-block text-body-secondary">{_e(row.kind_label)}</small></td>',
        f'<td data-label="{labels["submitted"]}" class="text-nowrap">{_or_dash(row.submitted_on)}</td>',
        f'<td data-label="{labels["deadline"]}" data-testid="deadline">'
        f'<span class="text-nowrap">{_or_dash(row.deadline_on)}</span>{mark}</td>',
        f'<td data-label="{labels["waiting"]}" class="text-nowrap">{_or_dash(row.waiting)}</td>',
        f'<td data-label="{labels["progress"]}">{progress}</td>',
    ]
    if show_reviewers:
        cells.append(
            f'<td data-label="{labels["reviewers"]}" class="small">'
            f'<span class="d-block">{labels["reviewer"]}: {_e(row.reviewer)}</span>'
            f'<span class="d-block">{labels["second_reviewer"]}: {_e(row.second_reviewer)}</span></td>'
        )
    return cells


def _escaped_labels(labels: dict[str, str]) -> dict[str, str]:
    return {key: _e(value) for key, value in labels.items()}


def queue_rows_html(rows, labels: dict[str, str], *, pickable: bool, select_all: bool, empty_text: str) -> SafeString:
    """The <tr> of each queue row (queues.Row), or one row saying why there are none."""
    labels = _escaped_labels(labels)
    checked = " checked" if select_all else ""
    html = []
    for row in rows:
        cells = []
        if pickable:
            cells.append(
                f'<td class="queue-pick-cell"><label class="queue-pick"><input type="checkbox" name="assessment" '
                f'value="{int(row.pk)}"{checked}><span class="visually-hidden">{labels["pick"]} '
                f"{_e(row.centre_name)}</span></label></td>"
            )
        cells.append(_centre_cell(labels["centre"], row.centre_name, row.url, row.centre_line))
        cells.extend(_row_cells(row, labels))
        action = ""
        if row.action:
            style = "btn-primary" if row.action.primary else "btn-outline-primary"
            action = (
                f'<a class="btn btn-sm {style}" href="{_e(row.action.url)}">{_e(row.action.label)}'
                f'<span class="visually-hidden">: {_e(row.centre_name)}</span></a>'
            )
        cells.append(f"<td>{action}</td>")
        html.append(f'<tr data-assessment="{int(row.pk)}">{"".join(cells)}</tr>')
    if not html:
        html.append(f'<tr><td colspan="9">{_e(empty_text)}</td></tr>')
    return mark_safe("\n".join(html))  # noqa: S308 - every value above passed escape()


def centre_rows_html(entries, labels: dict[str, str], *, show_reviewers: bool, empty_text: str) -> SafeString:
    """The <tr> of each centre (queues.CentreEntry), or one row saying why there are none."""
    labels = _escaped_labels(labels)
    html = []
    for entry in entries:
        if entry.seal_until:
            mark = (
                f' <span class="badge queue-mark queue-mark-{_e(entry.seal_status)}">{_e(entry.seal_mark)}</span>'
                if entry.seal_mark
                else ""
            )
            seal = f'<span class="text-nowrap">{_e(entry.seal_until)}</span>{mark}'
        else:
            seal = labels["no_seal"]
        cells = [
            _centre_cell(labels["centre"], entry.centre_name, entry.url, entry.centre_line),
            f'<td data-label="{labels["seal"]}">{seal}</td>',
        ]
        if entry.current is not None:
            cells.extend(_row_cells(entry.current, labels, show_reviewers=show_reviewers, state_label="assessment"))
        else:
            cells.append(f'<td data-label="{labels["assessment"]}">{labels["no_assessment"]}</td>')
            cells.extend(['<td class="queue-empty-cell"></td>'] * (5 if show_reviewers else 4))
        html.append(f'<tr data-centre="{int(entry.pk)}">{"".join(cells)}</tr>')
    if not html:
        html.append(f'<tr><td colspan="8">{_e(empty_text)}</td></tr>')
    return mark_safe("\n".join(html))  # noqa: S308 - every value above passed escape()


# ---------------------------------------------------------------- the filter form


def _options(choices, selected: set[str]) -> str:
    """<option>s as Django's Select writes them: one selected at most."""
    html, found = [], False
    for value, label in choices:
        value = "" if value is None else str(value)
        chosen = not found and value in selected
        found = found or chosen
        html.append(f'<option value="{_e(value)}"{" selected" if chosen else ""}>{_e(label)}</option>')
    return "".join(html)


def _field_choices(field, people):
    """A choice field's (value, label) pairs; a model choice (the reviewers)
    from `people` when the view has read them already, else in one plain query."""
    if not hasattr(field, "queryset"):
        return list(field.choices)
    choices = [] if field.empty_label is None else [("", field.empty_label)]
    if field.null_label is not None:
        choices.append((field.null_value, field.null_label))
    people = list(field.queryset) if people is None else people
    return [*choices, *((person.pk, field.label_from_instance(person)) for person in people)]


def filter_fields_html(form, *, people=None) -> SafeString:
    """The fields of a list's filter form (assessments.filters.QueueFilter),
    each with its label and help, written as Django's widgets write them:
    through the widgets' templates a select of 40 reviewers cost several
    milliseconds a page. `people`: the reviewers the reviewer filter offers."""
    html = []
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        attrs = field.widget.attrs
        width = "col-12 col-lg-4" if name == "q" else "col-12 col-sm-6 col-lg-3" if name == "o" else "col-6 col-lg-2"
        described = f' aria-describedby="{_e(attrs["aria-describedby"])}"' if "aria-describedby" in attrs else ""
        if hasattr(field, "choices"):
            values = value if isinstance(value, list | tuple) else [value]
            selected = {"" if item is None else str(item) for item in values}
            control = (
                f'<select class="{_e(attrs.get("class", ""))}"{described} id="id_{name}" name="{name}">'
                f"{_options(_field_choices(field, people), selected)}</select>"
            )
        else:
            shown = "" if value in (None, "") else f' value="{_e(value)}"'
            length = f' maxlength="{int(field.max_length)}"' if getattr(field, "max_length", None) else ""
            control = (
                f'<input type="text" name="{name}"{shown}{length} class="{_e(attrs.get("class", ""))}"'
                f'{described} id="id_{name}">'
            )
        help_text = f'<div class="form-text" id="{name}-help">{_e(field.help_text)}</div>' if field.help_text else ""
        html.append(
            f'    <div class="{width}">\n'
            f'      <label class="form-label mb-1" for="id_{name}">{_e(field.label)}</label>\n'
            f"      {control}\n"
            f"      {help_text}\n"
            "    </div>\n"
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above passed escape()


def bulk_options_html(people, *, chosen: dict[str, str] | None = None) -> dict[str, SafeString]:
    """The <option>s of the bulk assignment's two reviewer choices: every
    person of the active pool, and the confirmers. Labelled with the
    workload where the people carry it (assignment_selectors'
    reviewers_with_workload), else by name (the queue's first paint);
    `chosen` keeps what the office already picked ("reviewer", "second")."""
    chosen = chosen or {}

    def options(key: str, confirmers_only: bool) -> SafeString:
        picked = chosen.get(key, "")
        html = []
        for person in people:
            if confirmers_only and not person.may_confirm:
                continue
            label = getattr(person, "workload_label", None) or display_name(person)
            selected = " selected" if str(person.pk) == picked else ""
            html.append(f'<option value="{int(person.pk)}"{selected}>{_e(label)}</option>')
        return mark_safe("".join(html))  # noqa: S308 - every value escaped above

    return {"reviewer": options("reviewer", False), "second": options("second", True)}
