"""A frozen submission shown in the reader's language.

A snapshot records what the centre submitted, in German: criterion titles and
item texts of the pinned catalogue version, and the validity warnings the
rules gave at that moment. The snapshot itself never changes (it is hashed);
for display, the texts are translated here: catalogue texts from the pinned
version's rows (codes never change within a version), warnings by matching
the German message they were made from and rendering it again in the
reader's language.
"""

from __future__ import annotations

import copy
import re
from functools import cache

from django.utils import translation
from django.utils.translation import gettext

from certification.templatetags.catalogue_tags import localized

# The messages of evidence.validity, as written there (German msgids). A
# warning frozen in a snapshot is one of these with its values filled in.
WARNING_MESSAGES = (
    "Das Datum %(date)s liegt außerhalb des Prüfzeitraums (%(start)s – %(end)s).",
    "Der Umfang der Fortbildung in Stunden fehlt.",
    "Fortbildungen zählen erst ab 6 Stunden (hier %(hours)s).",
    "Ein- bis zweitägige Fortbildungen gelten 7 Jahre; diese ist vom %(date)s.",
    "Gültig bis %(date)s: abgelaufen.",
    "Nötig ist eine Qualifikation von mindestens %(need)d Stunden; die verknüpften Nachweise belegen %(have)s.",
)
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    patterns = []
    for msgid in WARNING_MESSAGES:
        parts = _PLACEHOLDER.split(msgid)
        # split() alternates literal text and placeholder names.
        regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts))
        # A criterion's warning may name its document first ("Plan 2026: …").
        patterns.append((re.compile(f"^(?P<_prefix>.*?){regex}$"), msgid))
    return patterns


def translated_warning(text: str) -> str:
    """A frozen German warning in the active language; unknown text as it is."""
    if (translation.get_language() or "de").startswith("de"):
        return text
    for pattern, msgid in _patterns():
        match = pattern.match(text)
        if match:
            values = match.groupdict()
            prefix = values.pop("_prefix")
            # Values were formatted already (dates, numbers): insert them as text.
            return prefix + _PLACEHOLDER.sub(r"%(\1)s", gettext(msgid)) % values
    return text


def localized_payload(payload: dict, catalogue) -> dict:
    """A copy of a submission's payload with titles, item texts and warnings
    in the active language; the payload itself is left untouched. German
    readers get the payload as it is."""
    if (translation.get_language() or "de").startswith("de"):
        return payload
    criteria = {criterion.code: criterion for criterion in catalogue.criteria.prefetch_related("items")}
    shown = copy.deepcopy(payload)
    for entry in shown.get("criteria", []):
        criterion = criteria.get(entry.get("code"))
        if criterion is not None:
            entry["title"] = localized(criterion, "title")
            items = {item.code: item for item in criterion.items.all()}
            for item in entry.get("items", []):
                if item.get("code") in items:
                    item["text"] = localized(items[item["code"]], "text")
        entry["warnings"] = [translated_warning(warning) for warning in entry.get("warnings", [])]
        for document in entry.get("evidence", []) or []:
            if "warnings" in document:
                document["warnings"] = [translated_warning(warning) for warning in document["warnings"]]
    return shown
