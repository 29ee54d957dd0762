"""Who may read and write a Familienzentrum's offer journal and register."""

from __future__ import annotations
