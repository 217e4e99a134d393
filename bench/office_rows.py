"""The rows of ``office_data.py``: tickets (and one ``submitted`` event each)
made in batches, as tuples for SQLite's ``executemany`` or as COPY text lines
for PostgreSQL. Plain Python in one loop: the random draws that can be made
in bulk are (``random.choices(k=…)``), and dates are formatted once per day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass

from portal.tickets.models import SUBKINDS

BATCH = 100_000
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SPACE = 31**8
#: Coprime with 31: id → reference is a permutation, so references are unique.
MULTIPLIER = 3**18

# A year of tickets: most decided and closed, the open ones recent.
STATUS_WEIGHTS = {
    "submitted": 9,
    "transferred": 1,
    "in_review": 14,
    "needs_info": 5,
    "field_check": 6,
    "verified": 6,
    "accepted": 4,
    "rejected": 4,
    "forwarded": 9,
    "closed": 32,
    "duplicate": 5,
    "withdrawn": 5,
}
#: Days since submission, per status.
AGE = {
    "submitted": (0, 6),
    "transferred": (0, 6),
    "in_review": (2, 40),
    "needs_info": (5, 40),
    "field_check": (5, 45),
    "verified": (10, 55),
    "accepted": (15, 40),
    "rejected": (15, 40),
}
OLD = (30, 365)
KIND_WEIGHTS = {"correction": 45, "objection": 30, "proposal": 25}
UNDER_REVIEW = ("in_review", "needs_info", "field_check", "verified")
DECIDED = ("accepted", "rejected", "forwarded", "closed")

TICKET_COLUMNS = [
    "id",
    "reference",
    "pin_hash",
    "pin_failures",
    "tracking_token_index",
    "kind",
    "subkind",
    "subject_name_enc",
    "subject_address_enc",
    "village_code",
    "office_id",
    "reason_codes",
    "details_enc",
    "reporter_contact_enc",
    "reporter_confidential",
    "consent_version",
    "consent_at",
    "status",
    "status_changed_at",
    "due_triage",
    "due_response",
    "due_verification",
    "due_decision",
    "appeal_until",
    "paused_at",
    "version",
    "created_at",
    "updated_at",
    "assignee_id",
    "due_next",
    "responded_at",
]
EVENT_COLUMNS = ["id", "ticket_id", "at", "actor", "kind", "to_status", "public"]
#: A fixed Argon2id hash: no PIN opens these tickets, and none needs to.
PIN_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2hiZW5jaGJlbmNo$" + "A" * 43


@dataclass(frozen=True)
class Columns:
    backend: str
    tickets: tuple[str, ...] = tuple(TICKET_COLUMNS)
    events: tuple[str, ...] = tuple(EVENT_COLUMNS)

    @classmethod
    def for_backend(cls, backend: str) -> Columns:
        return cls(backend)


def reference(ticket_id: int) -> str:
    n = ticket_id * MULTIPLIER % SPACE
    chars = []
    for _ in range(8):
        n, r = divmod(n, 31)
        chars.append(REFERENCE_ALPHABET[r])
    return f"DT-{''.join(chars[:4])}-{''.join(chars[4:])}"


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def ticket_rows(
    count: int,
    rng: random.Random,
    offices: list[tuple[int, str]],
    weights: list[float],
    villages: dict[int, list[str]],
    handlers: dict[int, list[int]],
    blobs: dict[str, bytes],
    cols: Columns,
) -> Iterator[tuple[list, list]]:
    """Batches of (ticket rows, event rows), ids 1..count."""
    pg = cols.backend == "postgresql"
    zone = "+00" if pg else ".000000"
    today = dt.datetime.now(dt.UTC).date()
    day = {k: (today + dt.timedelta(days=k)).isoformat() for k in range(-500, 200)}
    hours = [f"{h:02d}:{m:02d}:00{zone}" for h in range(1, 9) for m in (5, 20, 35, 50)]
    office_ids = [oid for oid, _ in offices]
    kinds = list(KIND_WEIGHTS)
    statuses = list(STATUS_WEIGHTS)
    blob = {k: v if not pg else _copy_value(v) for k, v in blobs.items()}
    pin_hash, consent = PIN_HASH, "2026-01"
    for start in range(1, count + 1, BATCH):
        n = min(BATCH, count + 1 - start)
        b_office = rng.choices(office_ids, weights, k=n)
        b_status = rng.choices(statuses, list(STATUS_WEIGHTS.values()), k=n)
        b_kind = rng.choices(kinds, list(KIND_WEIGHTS.values()), k=n)
        b_rand = [rng.random() for _ in range(n)]
        tickets, events = [], []
        for j in range(n):
            tid = start + j
            office, status, kind, r = b_office[j], b_status[j], b_kind[j], b_rand[j]
            subs = SUBKINDS[kind]
            subkind = subs[tid % len(subs)]
            low, high = AGE.get(status, OLD)
            age = low + int(r * (high - low + 1))
            created_day = -age
            created = f"{day[created_day]} {hours[tid % len(hours)]}"
            triage = created_day + 4
            triaged = created_day + 1 + tid % 3
            response = triaged + 7
            verification = created_day + 14 if kind == "objection" else None
            decision = created_day + 60
            responded = status != "in_review" or r < 0.4
            due_next = appeal = paused = None
            if status in ("submitted", "transferred"):
                due_next = triage
            elif status in ("in_review", "field_check", "verified"):
                candidates = [decision]
                if not responded:
                    candidates.append(response)
                if verification is not None and status != "verified":
                    candidates.append(verification)
                due_next = min(candidates)
            elif status == "needs_info":
                paused = f"{day[triaged + 2]} {hours[0]}"
            if status in DECIDED:
                decided = min(created_day + 20 + tid % 10, -1)
                appeal = decided + 14
            staff = handlers[office]
            assigned = (
                (status in UNDER_REVIEW and r < 0.85)
                or (status in DECIDED and r < 0.9)
                or (status in ("submitted", "transferred") and r < 0.1)
                or (status in ("duplicate", "withdrawn") and r < 0.5)
            )
            changed = f"{day[min(created_day + 1 + tid % 5, 0)]} {hours[-1]}"
            row = (
                tid,
                reference(tid),
                pin_hash,
                0,
                hashlib.sha256(b"bench-token:%d" % tid).digest(),
                kind,
                subkind,
                blob["subject_name"],
                blob["subject_address"],
                villages[office][tid % len(villages[office])],
                office,
                "",
                blob["details"],
                blob["contact"] if tid % 2 else None,
                subkind == "ineligible_recipient",
                consent,
                created,
                status,
                changed if status != "submitted" else created,
                day[triage],
                day[response],
                day[verification] if verification is not None else None,
                day[decision],
                day[appeal] if appeal is not None else None,
                paused,
                1,
                created,
                changed,
                staff[tid % len(staff)] if assigned else None,
                day[due_next] if due_next is not None else None,
                changed if status not in ("submitted", "transferred") and responded else None,
            )
            event = (tid, tid, created, "resident", "submitted", "submitted", True)
            if pg:
                row = "\t".join(map(_copy_value, row)) + "\n"
                event = "\t".join(map(_copy_value, event)) + "\n"
            tickets.append(row)
            events.append(event)
        yield tickets, events
