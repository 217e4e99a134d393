"""Settings refused at start (config.check_settings)."""

from __future__ import annotations

import base64

import pytest

from portal import create_app
from portal.config import ConfigError, check_settings

KEY_ENV = ("PORTAL_SECRET_KEY", "SECRET_KEY", "PORTAL_INDEX_KEY", "PORTAL_DATA_KEYS")
GOOD_SECRET = "k" * 32


def _b64(fill: int) -> str:
    return base64.b64encode(bytes([fill]) * 32).decode("ascii")


@pytest.fixture
def production_env(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'portal.db'}")
    monkeypatch.setenv("PORTAL_INDEX_KEY", _b64(0x33))
    monkeypatch.setenv("PORTAL_DATA_KEYS", f"1:{_b64(0x11)}")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    def start(secret: str, base_url: str):
        monkeypatch.setenv("PORTAL_SECRET_KEY", secret)
        return create_app(
            {
                "HCAPTCHA_REQUIRED_IN_PRODUCTION": False,
                "PUBLIC_BASE_URL": base_url,
                "REDIS_URL": "redis://127.0.0.1:6379/0",
            }
        )

    return start


def test_production_starts_with_a_long_secret_and_an_https_address(production_env):
    app = production_env(GOOD_SECRET, "https://cekdtsen.example.go.id")
    assert app.config["SECRET_KEY"] == GOOD_SECRET


@pytest.mark.parametrize("secret", ["abcde", "k" * 31])
def test_production_refuses_a_short_secret_key(production_env, secret):
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY must be at least 32"):
        production_env(secret, "https://cekdtsen.example.go.id")


@pytest.mark.parametrize(
    "base_url",
    [
        "http://cekdtsen.example.go.id",
        "http://127.0.0.1:5000",
        "cekdtsen.example.go.id",
        "https://",
        "https://cekdtsen.example.go.id/?x=1",
    ],
)
def test_production_refuses_a_public_address_that_is_not_https(production_env, base_url):
    with pytest.raises(ConfigError, match="PORTAL_PUBLIC_BASE_URL must be an https://"):
        production_env(GOOD_SECRET, base_url)


def test_outside_production_an_http_address_is_fine_but_none_is_not():
    check_settings({"ENV_NAME": "development", "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})
    with pytest.raises(ConfigError, match="PORTAL_PUBLIC_BASE_URL is not set"):
        check_settings({"ENV_NAME": "development", "PUBLIC_BASE_URL": None})


def test_development_defaults_to_the_address_make_run_serves(monkeypatch):
    from portal.config import DevelopmentConfig

    assert DevelopmentConfig.PUBLIC_BASE_URL == "http://127.0.0.1:5000"
