"""Configuration, one class per environment, selected by ``PORTAL_ENV``.

Secrets come only from the environment or from files generated into
``instance/`` on first run (development and tests only).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def database_url(raw: str | None, instance_path: Path) -> str:
    """Normalise ``DATABASE_URL``: default SQLite file, psycopg 3 driver for PostgreSQL."""
    if not raw:
        return f"sqlite:///{instance_path / 'portal.db'}"
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://") :]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://") :]
    return raw


class Config:
    ENV_NAME = "base"
    TESTING = False
    DEBUG = False
    # Generated keys in instance/ are allowed outside production only.
    ALLOW_GENERATED_KEYS = True
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_SUPPORTED_LOCALES = ("id", "en")
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANG_COOKIE = "lang"
    SESSION_COOKIE_HTTPONLY = True
    # Pages send "Referrer-Policy: no-referrer" (tracking links carry a token),
    # so browsers post forms without a Referer: Flask-WTF's HTTPS Referer check
    # would refuse every form. CSRF rests on the per-session token and
    # SameSite=Lax cookies instead.
    WTF_CSRF_SSL_STRICT = False
    # A token lives as long as a draft: a resident who leaves a question page
    # open to fetch their family card must still be able to send it.
    WTF_CSRF_TIME_LIMIT = 24 * 3600
    HSTS = False
    SESSION_COOKIE_SAMESITE = "Lax"
    # Desil ceiling per programme (DESIGN.md §1, Kepmensos 79/HUK/2025 as reported).
    PROGRAM_RULES = {"PKH": 4, "SEMBAKO": 5, "PBI_JK": 5}
    # When the next DTSEN update is expected, shown on the lookup result
    # ("why is my desil this?"): 2027-03-01, 2027-03 (a month) or words;
    # unset: "not announced yet".
    DTSEN_NEXT_UPDATE = os.environ.get("PORTAL_DTSEN_NEXT_UPDATE") or None
    # The reason codes a decision may give (portal/tickets/decisions.py has
    # their labels; a code without one is shown as the code).
    DECISION_REASONS = {
        "accepted": ("meets_criteria", "conditions_confirmed", "data_corrected", "documents_valid"),
        "rejected": (
            "not_meeting_criteria",
            "conditions_not_confirmed",
            "documents_missing",
            "outside_area",
            "already_registered",
        ),
    }
    IMPORT_BATCH_HOUSEHOLDS = 2000
    IMPORT_WORKERS = max(1, (os.cpu_count() or 1))

    # Rate limits (DESIGN.md §6). Many phones share one address behind CGNAT
    # and a village office serves a queue from one address, so the per-IP
    # limit is generous and a captcha comes first; the per-NIK limit is tight.
    RATELIMIT_STRATEGY = "sliding-window-counter"
    # No X-RateLimit-* headers: they would make otherwise identical pages
    # differ (SECURITY.md LK2). A 429 still carries Retry-After (portal/errors.py).
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_SWALLOW_ERRORS = False  # storage down → 503, never unlimited
    RATELIMIT_KEY_PREFIX = os.environ.get("PORTAL_RATELIMIT_PREFIX", "portal")
    LOOKUP_LIMIT_PER_IP = os.environ.get("PORTAL_LOOKUP_LIMIT_PER_IP", "300 per hour")
    LOOKUP_LIMIT_PER_NIK = os.environ.get("PORTAL_LOOKUP_LIMIT_PER_NIK", "10 per day")
    # Past LOOKUP_LIMIT_PER_NIK a lookup of that NIK needs the captcha, so a
    # stranger cannot lock the owner out; even with captchas, this many a day.
    LOOKUP_CEILING_PER_NIK = os.environ.get("PORTAL_LOOKUP_CEILING_PER_NIK", "100 per day")
    # How long a matching lookup proves the household to its session (SECURITY.md LK7).
    LOOKUP_PROOF_MINUTES = 30
    # Each journey step renews the proof for LOOKUP_PROOF_MINUTES more (since
    # the last activity), but never past this many hours after the lookup.
    LOOKUP_PROOF_MAX_HOURS = 3
    # Sent requests (the final "Send") per address. A village office or a
    # carrier NAT sends for many residents from one address, so the budget is
    # generous and, past HCAPTCHA_FREE_SENDS per window, the send page asks
    # for the captcha before anything is refused.
    SUBMIT_LIMIT_PER_IP = os.environ.get("PORTAL_SUBMIT_LIMIT_PER_IP", "300 per hour")
    HCAPTCHA_FREE_SENDS = int(os.environ.get("HCAPTCHA_FREE_SENDS", "20"))
    HCAPTCHA_FREE_SENDS_WINDOW = "1 hour"
    # The question pages of a journey are not counted against the above: only
    # an anti-flood ceiling far above any office's day, so a journey already
    # started is never stopped between its pages.
    SUBMIT_PAGE_LIMIT_PER_IP = os.environ.get("PORTAL_SUBMIT_PAGE_LIMIT_PER_IP", "6000 per hour")
    # Evidence uploads per address (each costs an image decode), and the bytes
    # an address may store per day (abandoned drafts' files stay a day).
    UPLOAD_LIMIT_PER_IP = os.environ.get("PORTAL_UPLOAD_LIMIT_PER_IP", "600 per hour")
    UPLOAD_MB_PER_IP_PER_DAY = int(os.environ.get("PORTAL_UPLOAD_MB_PER_IP_PER_DAY", "1024"))
    TRACK_LIMIT_PER_IP = os.environ.get("PORTAL_TRACK_LIMIT_PER_IP", "60 per hour")
    # The village search behind the picker (a request per pause in typing).
    REGION_SEARCH_LIMIT_PER_IP = "60 per minute"
    # Number of trusted proxies in front of the app that append X-Forwarded-For.
    PROXY_FIX_HOPS = int(os.environ.get("PORTAL_PROXY_HOPS", "0"))

    # The address residents reach the portal at (https://…): tracking links on
    # receipts and in QR codes are built on it, never on the request's Host
    # (a LAN address or a forged Host would end up printed on a receipt).
    PUBLIC_BASE_URL = os.environ.get("PORTAL_PUBLIC_BASE_URL") or None

    # Staff (back office): sessions end after this long idle, or this long
    # after login; per-account budgets (a Dinas Sosial's staff share one address).
    STAFF_IDLE_MINUTES = 30
    STAFF_SESSION_HOURS = 12
    STAFF_LOGIN_LIMIT_PER_IP = os.environ.get("PORTAL_STAFF_LOGIN_LIMIT_PER_IP", "100 per hour")
    STAFF_LOGIN_LIMIT_PER_ACCOUNT = "20 per hour"
    STAFF_LIMIT_PER_ACCOUNT = os.environ.get("PORTAL_STAFF_LIMIT_PER_ACCOUNT", "1200 per hour")
    # Staff administration (issue 12 §7): an invitation link (a new account,
    # or a TOTP reset) works this many hours, once.
    STAFF_INVITATION_HOURS = int(os.environ.get("PORTAL_STAFF_INVITATION_HOURS", "72"))
    # Household lookups by one village operator at /office/assist (issue 12
    # §1), on top of the per-NIK budget: a stolen operator account cannot
    # sweep the registry.
    ASSIST_LOOKUP_LIMIT_PER_ACCOUNT = os.environ.get(
        "PORTAL_ASSIST_LOOKUP_LIMIT_PER_ACCOUNT", "60 per hour"
    )

    # Drafts of unfinished requests live this long after their last save; the
    # confirmation page (reference, PIN, tracking link) can be reloaded for
    # this long after sending, by the session that sent only.
    DRAFT_TTL_HOURS = 24
    SENT_PAGE_MINUTES = 30
    # Tracking by reference and PIN (SECURITY.md AU5, LK6). The reference is
    # printed on the receipt, so a stranger who saw it must not lock the owner
    # out: wrong PINs stop one address first; past a budget per reference
    # every address is asked for the captcha instead; only this many PIN
    # checks per ticket (and per typed reference) lock it for everyone, for
    # this long (the tracking link on the receipt still works).
    PIN_ATTEMPTS_PER_ADDRESS = "5 per 30 minutes"
    PIN_FREE_ATTEMPTS_PER_REFERENCE = "10 per 30 minutes"
    PIN_MAX_ATTEMPTS = 100
    PIN_LOCK_MINUTES = 24 * 60

    # Retention (`flask retention run`, SECURITY.md PD2, docs/data-protection.md):
    # a final ticket's (closed, duplicate, withdrawn) evidence files and rows
    # go this many days after it reached that status; a reply or appeal draft
    # of a final ticket this many hours after (expired drafts go at once).
    RETENTION_EVIDENCE_DAYS = int(os.environ.get("PORTAL_RETENTION_EVIDENCE_DAYS", "365"))
    RETENTION_DRAFT_HOURS_AFTER_CLOSURE = int(
        os.environ.get("PORTAL_RETENTION_DRAFT_HOURS_AFTER_CLOSURE", "0")
    )

    # Evidence uploads (portal/tickets/evidence.py, SECURITY.md UP1-UP6).
    UPLOAD_ROOT = os.environ.get("PORTAL_UPLOAD_ROOT") or None  # default <instance>/evidence
    # s3://bucket/prefix?endpoint=…&region=… puts evidence in a bucket instead
    # (portal/storage/s3.py); credentials from the standard AWS_* variables.
    EVIDENCE_STORAGE_URL = os.environ.get("EVIDENCE_STORAGE_URL") or None
    MAX_FILE_BYTES = 8 * 1024 * 1024
    MAX_FILES_PER_TICKET = 5
    MAX_IMAGE_PIXELS = 40_000_000
    IMAGE_MAX_SIDE = 2560
    IMAGE_QUALITY = 85
    PDF_MAX_DECODED_BYTES = 32 * 1024 * 1024
    # One file per request: the request never needs more than a file and a form.
    MAX_CONTENT_LENGTH = MAX_FILE_BYTES + 256 * 1024
    # The evidence page reads bodies up to this size so that a file over
    # MAX_FILE_BYTES gets its message on the same page (a 413 cut short by the
    # server often reaches a phone as a reset connection).
    EVIDENCE_MAX_REQUEST_BYTES = 48 * 1024 * 1024
    # Bytes of the files one draft may hold (UP9).
    UPLOAD_MAX_BYTES_PER_DRAFT = 24 * 1024 * 1024
    # UP8: pixels actually decoded at full size (PNG and WebP whole, JPEG after
    # decoding at 1/2, 1/4 or 1/8): 16 MP is a 4000x4000 screenshot or an A4
    # scan at 400 dpi, 64 MB as RGBA. Image work at once per process.
    MAX_DECODED_PIXELS = 16_000_000
    IMAGE_WORK_SLOTS = 2
    MAX_FORM_PARTS = 50
    # Evidence quality check (portal/tickets/quality.py, docs/evidence-quality.md):
    # a photo flagged is kept but the resident is asked to look again. Keys and
    # meanings in quality.Thresholds; tuned with bench/quality_tuning.py.
    # PORTAL_EVIDENCE_QUALITY_CHECK=0 turns the check off (no photo flagged).
    EVIDENCE_QUALITY_CHECK = os.environ.get("PORTAL_EVIDENCE_QUALITY_CHECK", "1") == "1"
    EVIDENCE_QUALITY = {
        "dark_mean": 60,
        "dark_high": 110,
        "bright_mean": 190,
        "bright_low": 140,
        "blur_ratio": 0.4,
        "blur_ratio_scene": 0.07,
        "sideways_ratio": 1.5,
        "min_ink": 0.01,
        "small_side": 600,
        "work_side": 512,
    }

    # hCaptcha (portal/captcha.py): disabled when no keys are configured.
    HCAPTCHA_SITEKEY = os.environ.get("HCAPTCHA_SITEKEY") or None
    HCAPTCHA_SECRET = os.environ.get("HCAPTCHA_SECRET") or None
    HCAPTCHA_VERIFY_URL = os.environ.get(
        "HCAPTCHA_VERIFY_URL", "https://api.hcaptcha.com/siteverify"
    )
    HCAPTCHA_TIMEOUT = 5.0
    HCAPTCHA_EXPECTED_HOSTNAME = os.environ.get("HCAPTCHA_EXPECTED_HOSTNAME") or None
    HCAPTCHA_REQUIRED_IN_PRODUCTION = True
    # Lookups an address may make per window before a captcha is asked (0 = always).
    HCAPTCHA_FREE_LOOKUPS = int(os.environ.get("HCAPTCHA_FREE_LOOKUPS", "5"))
    HCAPTCHA_FREE_WINDOW = "10 minutes"

    # The resident's side of a request (issue 11). Dates are shown in WIB.
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    # After opening a request by PIN or link, this browser may act on it
    # (reply, withdraw, appeal, rate) for this long without the PIN again.
    TRACK_GRANT_MINUTES = 60
    # A resident's reply, an appeal, a withdrawal reason, a rating comment.
    RESIDENT_TEXT_MAX_CHARS = 2000
    # The appeal window is SLA_RULES' appeal_working_days (10 working days).

    # Notifications (portal/notify): `flask outbox run` delivers the outbox.
    # SMTP_URL: smtp://user:pass@host:587 (STARTTLS; ?starttls=0 for none) or
    # smtps://…:465 (TLS). Unset: no email is sent (messages are skipped).
    SMTP_URL = os.environ.get("SMTP_URL") or None
    # The SMTP server's certificate is always verified: against the system's
    # CAs, or the CAs in this PEM file (a relay with a private CA).
    SMTP_CA_FILE = os.environ.get("SMTP_CA_FILE") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "DTSEN Portal <no-reply@dtsen.invalid>")
    # SMS through one HTTP gateway: POST JSON {to, text, idempotency_key} with
    # "Authorization: Bearer <token>"; 2xx = sent. Unset: no SMS is sent.
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL") or None
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN") or None
    # Inbound SMS (POST /hooks/sms): the gateway sends this in X-Webhook-Secret.
    SMS_INBOUND_SECRET = os.environ.get("SMS_INBOUND_SECRET") or None
    # The gateway's POSTs per address (one gateway: generous), and answers sent
    # to one number: past it the hook accepts and answers nothing (no SMS spam).
    SMS_HOOK_LIMIT_PER_IP = "6000 per hour"
    SMS_REPLY_LIMIT_PER_NUMBER = "10 per hour"
    # Delivery: tries before the dead letter (18 from 30 s doubling to 6 h: the
    # last about 50 h after the first, docs/notifications.md), backoff base and
    # ceiling, messages claimed per round, the claim's lease (a send is cut off
    # after a third of it), idle poll, one socket operation's timeout, and how
    # long finished messages are kept (`flask tickets purge-expired`).
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "18"))
    OUTBOX_BACKOFF_SECONDS = 30
    OUTBOX_BACKOFF_MAX_SECONDS = 6 * 3600
    OUTBOX_BATCH = 50
    OUTBOX_LEASE_SECONDS = 120
    OUTBOX_POLL_SECONDS = 1.0
    OUTBOX_SEND_TIMEOUT = 10.0
    OUTBOX_KEEP_DAYS = 90

    # Periodic jobs of `flask worker` (portal/jobs/schedule.py, issue 14 §2):
    # seconds between two runs of each job; how often an idle worker looks for
    # a due job; a run's lease (renewed every third of it while the job runs,
    # so a dead worker's job is taken over this long after it died); and how
    # soon a failed job is tried again (never later than its interval).
    JOB_ESCALATE_SECONDS = int(os.environ.get("JOB_ESCALATE_SECONDS", "3600"))
    JOB_CLOSE_EXPIRED_SECONDS = int(os.environ.get("JOB_CLOSE_EXPIRED_SECONDS", "3600"))
    JOB_PURGE_EXPIRED_SECONDS = int(os.environ.get("JOB_PURGE_EXPIRED_SECONDS", "3600"))
    JOB_PURGE_FAILURES_SECONDS = int(os.environ.get("JOB_PURGE_FAILURES_SECONDS", "86400"))
    JOB_EVIDENCE_SWEEP_SECONDS = int(os.environ.get("JOB_EVIDENCE_SWEEP_SECONDS", "3600"))
    JOB_REFRESH_SECONDS = int(os.environ.get("JOB_REFRESH_SECONDS", "900"))
    JOB_RETENTION_SECONDS = int(os.environ.get("JOB_RETENTION_SECONDS", "86400"))
    JOBS_POLL_SECONDS = float(os.environ.get("JOBS_POLL_SECONDS", "10"))
    JOBS_LEASE_SECONDS = int(os.environ.get("JOBS_LEASE_SECONDS", "300"))
    JOBS_RETRY_SECONDS = int(os.environ.get("JOBS_RETRY_SECONDS", "600"))

    # Escalation (`flask tickets escalate`, issue 12 §4): an overdue ticket goes
    # to the province supervisor on the first working day after its deadline,
    # and to the national office this many working days later.
    ESCALATE_NATIONAL_AFTER_WORKING_DAYS = int(
        os.environ.get("ESCALATE_NATIONAL_AFTER_WORKING_DAYS", "10")
    )

    # Open311 (issue 13): the jurisdiction a request may name (any other is a
    # 404), and each partner key's budget of API calls (reads and POSTs).
    OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "dtsen.kemensos.go.id")
    PARTNER_LIMIT_PER_KEY = os.environ.get("PORTAL_PARTNER_LIMIT_PER_KEY", "600 per hour")
    # /stats (issue 13): how long a process reuses a scope's figures once read
    # (they change only at `flask stats refresh`; the page says "as of").
    STATS_CACHE_SECONDS = 60

    # Observability (issue 14 §4, docs/operations.md): /metrics answers only
    # "Authorization: Bearer <METRICS_TOKEN>" (unset: /metrics is a 404; use
    # `flask metrics serve` on a private port instead). The database gauges
    # are read at most once per this many seconds per process.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    METRICS_DB_CACHE_SECONDS = float(os.environ.get("METRICS_DB_CACHE_SECONDS", "15"))


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False  # the debugger stays off; `make run` is close to production
    PUBLIC_BASE_URL = os.environ.get("PORTAL_PUBLIC_BASE_URL") or "http://127.0.0.1:5000"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = True
    IMPORT_BATCH_HOUSEHOLDS = 200
    IMPORT_WORKERS = 1
    HCAPTCHA_SITEKEY = None
    HCAPTCHA_SECRET = None
    HCAPTCHA_EXPECTED_HOSTNAME = None
    # The test client's own host, whatever the environment says.
    PUBLIC_BASE_URL = "http://localhost"
    STATS_CACHE_SECONDS = 0  # tests refresh and read again at once
    METRICS_DB_CACHE_SECONDS = 0
    # The tests' small flat photos would all be flagged: the quality check's
    # own tests turn it on (tests/tickets/test_quality*.py, the browser test).
    EVIDENCE_QUALITY_CHECK = os.environ.get("PORTAL_EVIDENCE_QUALITY_CHECK") == "1"


class ProductionConfig(Config):
    ENV_NAME = "production"
    ALLOW_GENERATED_KEYS = False
    SESSION_COOKIE_SECURE = True
    HSTS = True


CONFIGS = {c.ENV_NAME: c for c in (DevelopmentConfig, TestingConfig, ProductionConfig)}


#: Shorter Flask secret keys can be found offline from one signed cookie; the
#: generated ones (docs/keys.md) are 44 characters.
MIN_SECRET_KEY_CHARS = 32


class ConfigError(RuntimeError):
    """A setting the app must not start with."""


def check_settings(config: Mapping) -> None:
    """Refuse, at start, settings that would only fail later: a tracking link
    with no configured address (it would follow the Host header), and in
    production a short secret key or a public address that is not https
    (every receipt would then fail)."""
    production = config["ENV_NAME"] == "production"
    _check_evidence_storage(config.get("EVIDENCE_STORAGE_URL"), production)
    base = config.get("PUBLIC_BASE_URL")
    if not base:
        raise ConfigError("PORTAL_PUBLIC_BASE_URL is not set (https://…): see README")
    parts = urllib.parse.urlsplit(base)
    schemes = ("https",) if production else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
        wanted = "an https://" if production else "an http(s)://"
        raise ConfigError(f"PORTAL_PUBLIC_BASE_URL must be {wanted} address, not {base!r}")
    if production and len(config.get("SECRET_KEY") or "") < MIN_SECRET_KEY_CHARS:
        raise ConfigError(
            f"PORTAL_SECRET_KEY must be at least {MIN_SECRET_KEY_CHARS} characters "
            "(see docs/keys.md)"
        )


def _check_evidence_storage(url: str | None, production: bool) -> None:
    """A bucket URL that cannot work, or that would carry residents' KTP
    photos over plain http to another machine in production."""
    if not url:
        return
    from portal.storage.s3 import parse_url  # boto3 loads only when S3 is used

    try:
        _bucket, _prefix, options = parse_url(url)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    endpoint = urllib.parse.urlsplit(options.get("endpoint") or "https://s3")
    local = endpoint.hostname in {"127.0.0.1", "localhost", "::1"}
    if production and endpoint.scheme != "https" and not local:
        raise ConfigError("EVIDENCE_STORAGE_URL: the endpoint must be https:// in production")
