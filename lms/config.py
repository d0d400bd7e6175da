"""Settings from the environment, with embedded defaults that run on a laptop."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """Read every setting the app understands; nothing else reads os.environ."""
    env = os.environ.get("LMS_ENV", "development")
    default_db = f"sqlite:///{Path(instance_path) / 'lms.sqlite3'}"
    return {
        "LMS_ENV": env,
        # No default: lms/secret_key.py makes one in development and refuses to start elsewhere without it.
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL", default_db)
        ),
        "SCENARIOS_DIR": os.environ.get("SCENARIOS_DIR", str(PROJECT_ROOT / "scenarios")),
        "CENTRAL_UNIT_NAME": os.environ.get("CENTRAL_UNIT_NAME", "Central Team"),  # staff import: the trust's own unit
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "lms"),  # instances sharing Redis share counts
        # Redis down: sign-in goes on, its limits counted in memory per process until Redis answers again;
        # short timeouts, so a dead Redis costs a request a fraction of a second, not a hung worker.
        # Stated, not left to Flask-Limiter: its one limiter object takes an unset value from the last app
        # it served, so an app made with limits off (a test server) would switch them off for every later one.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env == "production"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env == "production"),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        # Signed-in sessions (lms/auth/sessions.py) end after this long idle, or this long after signing in.
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        "SESSION_MAX_HOURS": int(os.environ.get("SESSION_MAX_HOURS", "10")),
        "PASSWORD_RESET_HOURS": int(os.environ.get("PASSWORD_RESET_HOURS", "24")),  # how long an emailed link works
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead; long modules must not expire mid-way
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        # Training records (lms/records): due dates, validity of a pass, the "due soon" window.
        "NEW_STARTER_DAYS": int(os.environ.get("NEW_STARTER_DAYS", "30")),
        "PASS_VALID_MONTHS": int(os.environ.get("PASS_VALID_MONTHS", "12")),
        "DUE_SOON_DAYS": int(os.environ.get("DUE_SOON_DAYS", "14")),
        # Mail: with no MAIL_SERVER (the embedded default) messages are logged, not sent.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "training@trust.example.org"),
        "APP_BASE_URL": os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Dashboards: the completion target drawn on the charts, and the smallest group shown in views across units.
        "DASHBOARD_TARGET": float(os.environ.get("DASHBOARD_TARGET", "0.9")),
        "DASHBOARD_UNITS_ON_PAGE": int(os.environ.get("DASHBOARD_UNITS_ON_PAGE", "50")),
        "TEAM_PER_PAGE": int(os.environ.get("TEAM_PER_PAGE", "50")),
        "MIN_GROUP_SIZE": int(os.environ.get("MIN_GROUP_SIZE", "5")),
        # Data protection: leavers are anonymised this many months after they left (`people retention`).
        # Six years by default, the usual limit for claims about employment; a trust's own retention
        # schedule may differ, so it is a setting, and the privacy notice states whatever it is.
        "RETENTION_MONTHS": int(os.environ.get("RETENTION_MONTHS", "72")),
        # Who to write to about personal data and accessibility (shown on /privacy and /accessibility).
        "PRIVACY_CONTACT": os.environ.get("PRIVACY_CONTACT", "dpo@trust.example.org"),
        # Production: structured logs, and how many proxies (nginx, a load balancer) sit in front
        # and set X-Forwarded-For/-Proto; 0 trusts none, so a client cannot spoof its address.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json" if env == "production" else "text"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        "LOG_REQUESTS": _bool("LOG_REQUESTS", env == "production"),
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        # Issue 15 settings. The audit chain's HMAC key, kept outside the database (required in production).
        "AUDIT_KEY": os.environ.get("AUDIT_KEY", ""),
        # The mail outbox (lms/outbox): SMTP timeout, messages per connection, tries before the dead letters.
        "MAIL_TIMEOUT_SECONDS": float(os.environ.get("MAIL_TIMEOUT_SECONDS", "10")),
        "MAIL_BATCH_SIZE": int(os.environ.get("MAIL_BATCH_SIZE", "50")),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "8")),
        # The longest a delegation may run (approvals/delegation.py).
        "DELEGATION_MAX_DAYS": int(os.environ.get("DELEGATION_MAX_DAYS", "90")),
        # How long a new API token works unless its maker chooses otherwise.
        "API_TOKEN_MONTHS": int(os.environ.get("API_TOKEN_MONTHS", "12")),
        # The trust's name: shown to people, and refused inside passwords.
        "TRUST_NAME": os.environ.get("TRUST_NAME", "The Trust"),
        # Single sign-on (lms/sso, docs/sso.md): none by default, so `make run` signs in with passwords.
        "SSO_PROVIDERS": sso_providers(os.environ),
        # Email domains whose people must use their school account: no password sign-in, no reset emails.
        "SSO_ONLY_DOMAINS": _domains(os.environ.get("SSO_ONLY_DOMAINS", "")),
    }


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _domains(value: str) -> tuple[str, ...]:
    return tuple(domain.lower().lstrip("@") for domain in _list(value))


def sso_providers(environ) -> tuple[dict, ...]:
    """SSO_PROVIDERS=microsoft,google and SSO_<ID>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _LABEL, _TENANTS, _DOMAINS.

    A provider named in SSO_PROVIDERS without its issuer, client id or secret stops the app
    starting, naming the missing variable: a half-configured button would only fail at sign-in.
    """
    providers = []
    for provider_id in _list(environ.get("SSO_PROVIDERS", "")):
        if not provider_id.isascii() or not provider_id.replace("-", "").isalnum() or len(provider_id) > 32:
            raise RuntimeError(f"SSO_PROVIDERS: {provider_id!r} is not a provider id (letters, digits and -, "
                               "at most 32 characters, for example microsoft).")
        prefix = f"SSO_{provider_id.upper().replace('-', '_')}_"
        missing = [prefix + name for name in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET") if not environ.get(prefix + name)]
        if missing:
            raise RuntimeError(f"SSO_PROVIDERS names {provider_id}, but {', '.join(missing)} "
                               f"{'is' if len(missing) == 1 else 'are'} not set (docs/sso.md).")
        providers.append({
            "id": provider_id.lower(),
            "issuer": environ[prefix + "ISSUER"].rstrip("/"),
            "client_id": environ[prefix + "CLIENT_ID"],
            "client_secret": environ[prefix + "CLIENT_SECRET"],
            "label": environ.get(prefix + "LABEL") or provider_id.capitalize(),
            "tenants": _list(environ.get(prefix + "TENANTS", "")),
            "domains": _domains(environ.get(prefix + "DOMAINS", "")),
        })
    return tuple(providers)


def normalise_database_url(url: str) -> str:
    """Accept the postgres:// spellings hosting platforms hand out; use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def check_production(config: dict) -> None:
    """Refuse to run outside development with a guessable secret key, and in production without the rest."""
    env = config.get("LMS_ENV")
    if env == "development":
        return
    if len(config.get("SECRET_KEY") or "") < 32:
        raise RuntimeError(
            f"LMS_ENV={env} needs SECRET_KEY set to a random value of at least 32 "
            "characters (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if env != "production":
        return
    if len(config.get("AUDIT_KEY") or "") < 32:
        # The audit chain's HMAC key: without it anyone who can write the database could rewrite the log.
        raise RuntimeError(
            "LMS_ENV=production needs AUDIT_KEY set to a random value of at least 32 characters, kept "
            "outside the database (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        # Each gunicorn worker would count on its own: the sign-in limits would multiply by the workers.
        raise RuntimeError(
            "LMS_ENV=production needs RATELIMIT_STORAGE_URI pointing at shared storage, "
            "for example redis://127.0.0.1:6379/0."
        )
