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
