"""Security headers on every response (SECURITY.md IV2).

The Content-Security-Policy allows only our own origin; a page that shows
the hCaptcha widget sets ``g.captcha_on_page`` and gets hCaptcha's hosts.
"""

from __future__ import annotations

from flask import Flask, g

from portal.captcha import CSP_HOSTS

CAPTCHA_HOSTS = " ".join(CSP_HOSTS)


def content_security_policy(captcha: bool) -> str:
    extra = f" {CAPTCHA_HOSTS}" if captcha else ""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self'{extra}",
            f"style-src 'self'{extra}",
            f"frame-src 'self'{extra}" if captcha else "frame-src 'none'",
            f"connect-src 'self'{extra}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        h = response.headers
        csp = content_security_policy(g.get("captcha_on_page", False))
        h.setdefault("Content-Security-Policy", csp)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "no-referrer")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("HSTS"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
