"""Flask extensions, created unbound and initialised in ``create_app``, and
``once_per_app`` for other per-application objects built on first use."""

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()


_once_lock = threading.Lock()


def once_per_app(key: str, build: Callable[[], T]) -> T:
    """``current_app.extensions[key]``, built by ``build()`` on first use, once
    even when several threads ask at the same moment."""
    value = current_app.extensions.get(key)
    if value is None:
        with _once_lock:
            value = current_app.extensions.get(key)
            if value is None:
                value = current_app.extensions[key] = build()
    return value
