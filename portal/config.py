"""Configuration, one class per environment, selected by ``PORTAL_ENV``.

Secrets come only from the environment or from files generated into
``instance/`` on first run (development and tests only).
"""

from __future__ import annotations

import os
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
    SESSION_COOKIE_SAMESITE = "Lax"
    # Desil ceiling per programme (DESIGN.md §1, Kepmensos 79/HUK/2025 as reported).
    PROGRAM_RULES = {"PKH": 4, "SEMBAKO": 5, "PBI_JK": 5}
    IMPORT_BATCH_HOUSEHOLDS = 2000
    IMPORT_WORKERS = max(1, (os.cpu_count() or 1))


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False  # the debugger stays off; `make run` is close to production


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = True
    IMPORT_BATCH_HOUSEHOLDS = 200
    IMPORT_WORKERS = 1


class ProductionConfig(Config):
    ENV_NAME = "production"
    ALLOW_GENERATED_KEYS = False
    SESSION_COOKIE_SECURE = True


CONFIGS = {c.ENV_NAME: c for c in (DevelopmentConfig, TestingConfig, ProductionConfig)}
