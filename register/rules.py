"""Who may read and write a Familienzentrum's standing evidence register."""

from __future__ import annotations
