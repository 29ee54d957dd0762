"""The validation of a `frequency` mapping (on an item, or on a criterion as
shorthand for its main item): how often and how much must happen, read into
certification.frequency.Frequency and stored as its to_data()."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from certification.catalogue.nodes import join, quoted
from certification.catalogue.schema import FREQUENCY_KEYS, HALF_YEAR_PERIODS
from certification.frequency import Frequency, Per

if TYPE_CHECKING:
    from yaml.nodes import Node

    from certification.catalogue.reader import FieldReader

# Offers counted per half-year or year; weeks and months count periods.
_COUNTS_OFFERS = (Per.HALF_YEAR, Per.YEAR)


class FrequencyChecks:
    def __init__(self, reader: FieldReader):
        self.reader = reader
        self.problems = reader.problems

    def read(self, node: Node, path: str) -> dict | None:
        """Frequency.to_data() of a valid mapping; None (with every problem
        reported) when it is not valid."""
        reader = self.reader
        fields = reader.mapping(node, path, FREQUENCY_KEYS)
        if fields is None:
            return None
        errors_before = len(self.problems.errors)
        per = self._read_per(fields, path)
        times = reader.integer(fields, "times", path, minimum=1, default=1)
        min_sessions = reader.integer(fields, "min_sessions", path, minimum=1)
        allowed_gaps = reader.integer(fields, "allowed_gaps", path, minimum=0, default=0)
        assumption = reader.boolean(fields, "assumption", path)
        if per in Per.PERIODIC:
            for key in ("times", "min_sessions"):
                if key in fields:
                    self._only_with(fields, path, key, per, _COUNTS_OFFERS)
            if allowed_gaps is not None and allowed_gaps >= HALF_YEAR_PERIODS[per]:
                self.problems.error(
                    fields["allowed_gaps"],
                    join(path, "allowed_gaps"),
                    _(
                        "Ein Halbjahr hat mindestens %(periods)d %(unit)s; erlaubt sind höchstens %(max)d "
                        "Lücken, gefunden %(value)d."
                    )
                    % {
                        "periods": HALF_YEAR_PERIODS[per],
                        "unit": _("Wochen") if per == Per.WEEK else _("Monate"),
                        "max": HALF_YEAR_PERIODS[per] - 1,
                        "value": allowed_gaps,
                    },
                )
        elif per in _COUNTS_OFFERS and "allowed_gaps" in fields:
            self._only_with(fields, path, "allowed_gaps", per, Per.PERIODIC)
        if len(self.problems.errors) > errors_before or per is None:
            return None
        return Frequency(
            per=per,
            times=times,
            min_sessions=min_sessions,
            allowed_gaps=allowed_gaps,
            assumption=bool(assumption),
        ).to_data()

    def _read_per(self, fields: dict[str, Node], path: str) -> str | None:
        value = self.reader.text(fields, "per", path, required=True)
        if value is None or value in Per.ALL:
            return value
        suggestions = difflib.get_close_matches(value, Per.ALL, n=1)
        allowed = ", ".join(Per.ALL)
        if suggestions:
            problem = _("„%(value)s“ ist nicht erlaubt – meinten Sie „%(suggestion)s“? Erlaubt sind: %(allowed)s.") % {
                "value": quoted(value),
                "suggestion": suggestions[0],
                "allowed": allowed,
            }
        else:
            problem = _("„%(value)s“ ist nicht erlaubt; erlaubt sind: %(allowed)s.") % {
                "value": quoted(value),
                "allowed": allowed,
            }
        self.problems.error(fields["per"], join(path, "per"), problem)
        return None

    def _only_with(self, fields: dict[str, Node], path: str, key: str, per: str, allowed: tuple[str, ...]) -> None:
        self.problems.error(
            fields[key],
            join(path, key),
            _("„%(key)s“ ist nur bei per: %(allowed)s erlaubt, hier steht per: %(per)s.")
            % {
                "key": key,
                "allowed": _("%(first)s oder %(second)s") % {"first": allowed[0], "second": allowed[1]},
                "per": per,
            },
        )
