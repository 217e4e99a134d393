"""``flask dtsen generate|import|demo``."""

from __future__ import annotations

from flask.cli import AppGroup

dtsen_cli = AppGroup("dtsen", help="DTSEN snapshot: synthetic data and import.")
