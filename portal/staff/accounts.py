"""Staff accounts: password hashing, creating an account, and the demo accounts.

Passwords are hashed with Argon2id (SECURITY.md AU1, ``portal.crypto.argon2_hash``).

The demo accounts exist so that a developer who runs ``make run`` can log in
as each role at once. They are refused outside development and testing
("no default accounts in production"), flagged ``is_demo`` and get random
passwords, kept in ``instance/demo-credentials.txt`` (mode 0600).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select

from portal.audit.log import record
from portal.crypto import Keyring, argon2_hash, argon2_verify
from portal.extensions import db
from portal.regions.models import DISTRICT, VILLAGE, Office, Region
from portal.staff import totp
from portal.staff.models import ROLES, StaffArea, StaffUser
from portal.staff.passwords import password_problem


class StaffError(ValueError):
    """A staff account cannot be created or changed as asked."""


class DemoAccountsRefused(StaffError):
    """Demo accounts were asked for outside development and testing."""


def hash_password(password: str) -> str:
    return argon2_hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; a malformed hash is a mismatch, not an error."""
    return argon2_verify(password_hash, password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_staff(
    *,
    email: str,
    display_name: str,
    role: str,
    password: str | None,
    office: Office | None = None,
    village_code: str | None = None,
    districts: Iterable[str] = (),
    is_demo: bool = False,
    created_by: int | None = None,
) -> StaffUser:
    """Add a staff account to the session and flush; the caller commits.

    Operators belong to a village; handlers and supervisors to an office;
    field officers to a kab/kota office and ``districts``, kecamatan codes of
    that kab/kota (``set_districts``). The
    password must pass ``passwords.password_problem``; ``None`` (an account
    made with an invitation link, ``portal.staff.invitations``) stores the
    hash of a random password nobody knows, so logging in costs the same
    Argon2 work and never succeeds. The account cannot log in until a TOTP
    secret is enrolled (``totp.enrol``). ``created_by``: the staff member
    who made it, for the audit row (None from the command line).
    """
    email = normalise_email(email)
    if role not in ROLES:
        raise StaffError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if role == "operator" and not village_code:
        raise StaffError("an operator belongs to a village: give its village code")
    if role in ("handler", "supervisor", "field_officer") and office is None:
        raise StaffError(f"a {role} belongs to an office")
    if village_code is not None:
        level = db.session.scalar(select(Region.level).where(Region.code == village_code))
        if level != VILLAGE:
            raise StaffError(f"{village_code} is not a known desa/kelurahan code")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise StaffError(f"{email} already has an account")
    problem = password_problem(password, email) if password is not None else None
    if problem:
        raise StaffError(f"password refused: {problem}")
    if password is None:
        password = secrets.token_urlsafe(32)
    user = StaffUser(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        office_id=office.id if office is not None else None,
        village_code=village_code,
        active=True,
        is_demo=is_demo,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.session.add(user)
    db.session.flush()
    if role == "field_officer":
        set_districts(user, office, districts)
    record(
        "account_changed", staff_id=created_by, target_staff_id=user.id, detail=f"created:{role}"
    )
    return user


def set_districts(user: StaffUser, office: Office | None, districts: Iterable[str]) -> None:
    """Replace a field officer's kecamatan list: at least one, each a
    kecamatan (``PP.RR.DD``) of the kab/kota of their office. Flushes; the
    caller records the change and commits."""
    codes = sorted(set(districts))
    if office is None or office.level != "regency" or not office.region_code:
        raise StaffError("a field officer belongs to a kab/kota office (Dinas Sosial)")
    if not codes:
        raise StaffError("a field officer covers at least one kecamatan: give its code")
    known = set(
        db.session.scalars(
            select(Region.code).where(Region.code.in_(codes), Region.level == DISTRICT)
        )
    )
    for code in codes:
        if code not in known or not code.startswith(office.region_code + "."):
            raise StaffError(f"{code} is not a kecamatan of {office.region_code}")
    db.session.execute(delete(StaffArea).where(StaffArea.staff_id == user.id))
    db.session.add_all(StaffArea(staff_id=user.id, district_code=c) for c in codes)
    db.session.flush()


# Demo accounts ---------------------------------------------------------------

DEMO_ENVIRONMENTS = ("development", "testing")
_TOTP_SECRET = re.compile(r"[A-Z2-7]{32}")
DEMO_CREDENTIALS_FILE = "demo-credentials.txt"
#: Kabupaten Bogor (Jawa Barat): the handler's office and the operator's village.
DEMO_REGENCY = "32.01"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    display_name: str
    #: The office for admin, supervisor, handler and field officer; operators
    #: get a village instead.
    office_code: str | None
    #: A field officer's kecamatan.
    districts: tuple[str, ...] = ()


DEMO_ACCOUNTS = (
    DemoAccount("admin", "admin.demo@example.org", "Admin (demo)", "national"),
    DemoAccount(
        "supervisor",
        "supervisor.demo@example.org",
        "Supervisor Jawa Barat (demo)",
        "prov-32",
    ),
    DemoAccount(
        "handler",
        "handler.demo@example.org",
        "Petugas Dinsos Kab. Bogor (demo)",
        f"dinsos-{DEMO_REGENCY}",
    ),
    DemoAccount("operator", "operator.demo@example.org", "Operator Desa (demo)", None),
    # The kecamatan of the demo tickets' villages (portal/tickets/demo.py: the
    # first 40 villages of Kab. Bogor); `flask tickets demo` sends them to two.
    DemoAccount(
        "field_officer",
        "field.demo@example.org",
        "Petugas Lapangan Kab. Bogor (demo)",
        f"dinsos-{DEMO_REGENCY}",
        districts=tuple(f"{DEMO_REGENCY}.{n:02d}" for n in range(1, 5)),
    ),
)


@dataclass
class DemoResult:
    credentials_path: Path
    created: list[str] = field(default_factory=list)
    #: Existing demo accounts whose password was not in the credentials file.
    reset: list[str] = field(default_factory=list)


def ensure_demo_accounts(env_name: str, credentials_path: Path, keyring: Keyring) -> DemoResult:
    """Create the demo accounts that are missing; the caller commits.

    A password or TOTP secret already in the credentials file is kept, so
    running this again changes nothing. A demo account whose password is not
    there (the file was deleted) gets a new one, since nobody could log in
    with the old; likewise its TOTP secret.
    """
    if env_name not in DEMO_ENVIRONMENTS:
        raise DemoAccountsRefused(
            f"demo staff accounts are for development and testing only; "
            f"this is {env_name!r}. Create real accounts instead."
        )
    known = read_demo_credentials(credentials_path)
    result = DemoResult(credentials_path)
    rows = []
    for spec in DEMO_ACCOUNTS:
        office, village = _demo_place(spec)
        password, secret = known.get(spec.email, (None, None))
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == spec.email))
        if user is None:
            password = password or new_password()
            user = create_staff(
                email=spec.email,
                display_name=spec.display_name,
                role=spec.role,
                password=password,
                office=office,
                village_code=village.code if village else None,
                districts=spec.districts,
                is_demo=True,
            )
            result.created.append(spec.email)
        elif not user.is_demo:
            raise StaffError(f"{spec.email} exists and is not a demo account; leaving it alone")
        elif password is None or not verify_password(user.password_hash, password):
            password = new_password()
            user.password_hash = hash_password(password)
            result.reset.append(spec.email)
            record("account_changed", target_staff_id=user.id, detail="password_reset")
        secret = secret or totp.new_secret()
        if totp.secret_of(user, keyring) != secret:
            totp.enrol(user, secret, keyring)
        where = f"{village.code} {village.name}" if village else f"{office.code}: {office.name}"
        rows.append((spec.role, spec.email, password, secret, where))

    text = _credentials_text(rows)
    if not credentials_path.exists() or credentials_path.read_text() != text:
        # Written before the caller commits: should the commit fail, the next
        # run finds these passwords and creates or resets the accounts to match.
        _write_private_text(credentials_path, text)
    db.session.flush()
    return result


def new_password() -> str:
    return secrets.token_urlsafe(18)


def read_demo_credentials(path: Path) -> dict[str, tuple[str, str | None]]:
    """Email → (password, TOTP secret) from a file written by ``ensure_demo_accounts``."""
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text().splitlines():
        parts = line.split(None, 4)
        if len(parts) >= 3 and parts[0] in ROLES:
            # files written before TOTP have the place where the secret now is
            secret = parts[3] if len(parts) > 3 and _TOTP_SECRET.fullmatch(parts[3]) else None
            found[parts[1]] = (parts[2], secret)
    return found


def _demo_place(spec: DemoAccount) -> tuple[Office | None, Region | None]:
    if spec.office_code is not None:
        office = db.session.scalar(select(Office).where(Office.code == spec.office_code))
        if office is None:
            raise StaffError(f"office {spec.office_code} not found: run `flask regions load` first")
        return office, None
    village = db.session.scalar(
        select(Region)
        .where(Region.level == VILLAGE, Region.code.startswith(f"{DEMO_REGENCY}."))
        .order_by(Region.code)
        .limit(1)
    )
    if village is None:
        raise StaffError(f"no village under {DEMO_REGENCY}: run `flask regions load` first")
    return None, village


def _credentials_text(rows: list[tuple[str, str, str, str, str]]) -> str:
    lines = [
        "# Demo staff accounts: development and testing only, never production.",
        "# Written by `flask staff demo`; delete this file to get new passwords.",
        "# Log in at /office/login; the code: an authenticator app with the TOTP",
        "# secret below, or `flask staff demo-code EMAIL`.",
        f"{'role':<13} {'email':<28} {'password':<24} {'totp secret':<32} where",
    ]
    lines += [
        f"{role:<13} {email:<28} {password:<24} {secret:<32} {where}"
        for role, email, password, secret, where in rows
    ]
    return "\n".join(lines) + "\n"


def _write_private_text(path: Path, text: str) -> None:
    """Create or replace ``path`` atomically; mkstemp makes it owner-only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
