"""The DTSEN Participation Portal.

``create_app()`` wires, in order: configuration → keys → extensions →
language → logging → blueprints → error pages → CLI commands.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from portal.config import CONFIGS, ROOT, check_settings, database_url


def create_app(overrides: dict | None = None) -> Flask:
    env_name = os.environ.get("PORTAL_ENV", "development")
    if overrides and "ENV_NAME" in overrides:
        env_name = overrides["ENV_NAME"]
    if env_name not in CONFIGS:
        raise RuntimeError(f"PORTAL_ENV must be one of {sorted(CONFIGS)}, not {env_name!r}")

    instance_path = Path(os.environ.get("PORTAL_INSTANCE_PATH", ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(CONFIGS[env_name])
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(
        os.environ.get("DATABASE_URL"), instance_path
    )
    app.config["REDIS_URL"] = os.environ.get("REDIS_URL")
    if overrides:
        app.config.update(overrides)
    instance_path.mkdir(parents=True, exist_ok=True)

    _init_keys(app)
    from portal import assets, compression, logs

    # Registered first, so it runs last, on every other hook's final body.
    compression.init_app(app)
    assets.init_app(app)

    # First, so that every response (429s and CSRF 400s included) has a request id.
    logs.init_app(app)
    _init_extensions(app)

    from portal import captcha, headers, i18n, sessions

    sessions.init_app(app)
    captcha.init_app(app)
    i18n.init_app(app)
    headers.init_app(app)

    from portal.web import converters

    converters.init_app(app)  # before any route is added

    from portal.web.api.open311 import bp as open311_bp
    from portal.web.api.openapi import bp as api_bp
    from portal.web.hooks import bp as hooks_bp
    from portal.web.office import bp as office_bp
    from portal.web.ops import bp as ops_bp
    from portal.web.public import bp as public_bp
    from portal.web.public.lookup import bp as lookup_bp
    from portal.web.public.stats import bp as stats_bp
    from portal.web.public.submit import bp as submit_bp
    from portal.web.public.track import bp as track_bp
    from portal.web.public.track_actions import bp as resident_bp
    from portal.web.public.track_reply import bp as reply_bp

    app.register_blueprint(ops_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(lookup_bp)
    app.register_blueprint(submit_bp)
    app.register_blueprint(track_bp)
    app.register_blueprint(reply_bp)
    app.register_blueprint(resident_bp)
    app.register_blueprint(hooks_bp)
    app.register_blueprint(office_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(open311_bp)
    app.register_blueprint(api_bp)

    from portal import errors

    errors.init_app(app)

    from portal.cli import register_cli

    register_cli(app)
    check_settings(app.config)
    if app.config["ENV_NAME"] == "production" and not app.config.get("REDIS_URL"):
        # Limits kept in each worker's memory would multiply every budget by
        # the number of workers (SECURITY.md RL1).
        raise RuntimeError("production needs REDIS_URL for the rate limits: see README")
    return app


def _init_keys(app: Flask) -> None:
    from portal.crypto import load_keys

    keyring, secret = load_keys(
        dict(os.environ), Path(app.instance_path), app.config["ALLOW_GENERATED_KEYS"]
    )
    app.extensions["keyring"] = keyring
    app.config["SECRET_KEY"] = secret


def _init_extensions(app: Flask) -> None:
    from portal import db as portal_db
    from portal import ratelimit
    from portal.extensions import babel, csrf, db, migrate

    portal_db.configure_engine_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    # Limits before CSRF: a flood of token-less POSTs is counted too.
    ratelimit.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale_selector())
    # Import every model so metadata (and Alembic autogenerate) sees them.
    from portal.audit import models as _audit  # noqa: F401
    from portal.jobs import models as _jobs  # noqa: F401
    from portal.partners import models as _partners  # noqa: F401
    from portal.regions import models as _regions  # noqa: F401
    from portal.registry import models as _registry  # noqa: F401
    from portal.staff import models as _staff  # noqa: F401
    from portal.stats import models as _stats  # noqa: F401
    from portal.tickets import models as _tickets  # noqa: F401


def _locale_selector():
    from portal.i18n import select_locale

    return select_locale
