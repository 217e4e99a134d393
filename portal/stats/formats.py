"""/stats.json and /stats.csv, both made from one ``ScopeStats`` (the
numbers of the page). JSON: ``schema.STATS_JSON``. CSV: one row per cell,
``section,key,measure,value,suppressed`` (a suppressed cell: empty value,
``suppressed`` = ``true``), after a header row. Labels in the request's
language; keys never change with it."""

from __future__ import annotations

import csv
import datetime as dt
import io

from portal.stats.read import KIND_LABELS, STATUS_LABELS, Place, ScopeStats
from portal.stats.suppress import THRESHOLD, Cell
from portal.tickets import sla


def iso(moment: dt.datetime) -> str:
    """ISO 8601 in WIB with its offset (``2026-04-15T10:00:00+07:00``)."""
    return moment.astimezone(sla.WIB).isoformat(timespec="seconds")


def _cell(cell: Cell) -> dict:
    return {"value": cell.value, "suppressed": cell.suppressed}


def _place(place: Place) -> dict:
    return {"code": place.code, "name": place.name, "level": place.level}


def as_json(s: ScopeStats) -> dict:
    return {
        "scope": _place(s.place),
        "above": [_place(p) for p in s.above],
        "computed_at": iso(s.computed_at),
        "period": {"start": s.period_start.isoformat(), "end": s.period_end.isoformat()},
        "suppression": {"threshold": THRESHOLD},
        "figures": {name: _cell(cell) for name, cell in s.figures.items()},
        "by_kind": [
            {"key": k, "label": str(KIND_LABELS[k]), "count": _cell(c)} for k, c in s.kinds.items()
        ],
        "by_status": [
            {"key": k, "label": str(STATUS_LABELS[k]), "count": _cell(c)}
            for k, c in s.statuses.items()
        ],
        "trend": [
            {
                "month": m.month,
                "submitted": _cell(m.submitted),
                "decided": _cell(m.decided),
                "decided_on_time": _cell(m.on_time),
            }
            for m in s.trend
        ],
        "ranking": [
            {
                "rank": r.rank,
                **_place(r.place),
                "on_time_share": _cell(r.share),
                "counted": _cell(r.counted),
            }
            for r in s.ranking
        ],
    }


def rows(s: ScopeStats):
    """(section, key, measure, cell) for every number of the scope."""
    for name, cell in s.figures.items():
        yield "figures", s.place.code, name, cell
    for key, cell in s.kinds.items():
        yield "by_kind", key, "count", cell
    for key, cell in s.statuses.items():
        yield "by_status", key, "count", cell
    for m in s.trend:
        yield "trend", m.month, "submitted", m.submitted
        yield "trend", m.month, "decided", m.decided
        yield "trend", m.month, "decided_on_time", m.on_time
    for r in s.ranking:
        yield "ranking", r.place.code, "on_time_share", r.share
        yield "ranking", r.place.code, "counted", r.counted


def as_csv(s: ScopeStats) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["scope", "computed_at", "section", "key", "measure", "value", "suppressed"])
    stamp = iso(s.computed_at)
    for section, key, measure, cell in rows(s):
        value = "" if cell.suppressed else cell.value
        suppressed = "true" if cell.suppressed else "false"
        writer.writerow([s.place.code, stamp, section, key, measure, value, suppressed])
    return out.getvalue()
