"""Configuration: defaults here, then the environment, then test overrides."""

import os
from datetime import timedelta

import sqlalchemy as sa

DEFAULT_SECRET_KEY = "dev-insecure-key-change-me"
# The audit log's own keys (docs/audit.md); these defaults serve tests and the demo only.
DEFAULT_AUDIT_KEY = "dev-insecure-audit-key-change-me"
DEFAULT_AUDIT_SIGNING_KEY = "00" * 32
MAIL_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_SECURITY", "MAIL_USERNAME", "MAIL_PASSWORD",
                 "MAIL_FROM", "MAIL_TIMEOUT")


class Config:
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # set from DATABASE_URL or instance/ in load_config()
    # The owner role that runs migrations (PostgreSQL; docs/audit.md); defaults to the above.
    MIGRATION_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Sessions and cookies: HttpOnly and SameSite always; Secure is added per response
    # when the request came over TLS (see security.py), so one config serves both.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # A session ends after SESSION_IDLE_MINUTES without a request, and in any case
    # PERMANENT_SESSION_LIFETIME after login (OWASP ASVS 3.3.2, level 2); "remember me" resumes
    # it on the same browser for REMEMBER_COOKIE_DURATION from the login (accounts/cookies.py).
    SESSION_IDLE_MINUTES = 30
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")

    # Login throttling (docs/security.md). After LOGIN_MAX_FAILURES consecutive failures from
    # browsers that have not signed in to the account before, each further try waits: 30 s,
    # doubling, at most LOGIN_LONGEST_WAIT. Rate limits (Flask-Limiter syntax) count every
    # attempt: per client address, per account and client, per account from unknown browsers.
    LOGIN_MAX_FAILURES = 10
    LOGIN_FIRST_WAIT = timedelta(seconds=30)
    LOGIN_LONGEST_WAIT = timedelta(minutes=15)
    LOGIN_LIMITS_PER_ADDRESS = "30 per minute; 300 per hour"
    LOGIN_LIMITS_PER_ACCOUNT_AND_CLIENT = "5 per minute; 10 per 10 minutes; 30 per day"
    LOGIN_LIMITS_PER_ACCOUNT = "10 per 15 minutes; 50 per day"
    SIGNUP_LIMITS_PER_ADDRESS = "20 per hour; 100 per day"
    # "Forgot password" requests, per client address and per name typed; profile claims (and
    # requests for an e-mailed claim code), per client address and per ID number typed.
    RESET_LIMITS = "10 per hour; 30 per day"
    RESET_LIMITS_PER_ACCOUNT = "3 per hour; 10 per day"
    CLAIM_LIMITS_PER_ADDRESS = "10 per hour; 30 per day"
    CLAIM_LIMITS_PER_PROFILE = "5 per hour; 10 per day"
    # The public results table, rendered once per version and language (public/results_cache.py).
    RESULTS_CACHE_BYTES = 32 * 1024 * 1024
    # Where the counters live: Redis (REDIS_URL) when several processes serve, else memory.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False

    # Number of proxies in front of the app (X-Forwarded-For/-Proto trusted from that many hops).
    PROXY_COUNT = 0

    PER_PAGE = 50

    # Registration spreadsheets are a few MB at most; anything larger is refused with a 413.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    # Seconds a client is asked to wait (Retry-After) when the database cannot be reached (503).
    RETRY_AFTER = 30

    # The audit log (docs/audit.md). AUDIT_KEY keys every entry's MAC and the keyed digests;
    # AUDIT_RETIRED_KEYS (comma-separated) still verify entries written before a rotation.
    # AUDIT_SIGNING_KEY is the Ed25519 seed (64 hex digits) that signs checkpoints, which are
    # appended to AUDIT_CHECKPOINT_PATH ("-" = stdout); AUDIT_VERIFY_KEYS (comma-separated
    # hex public keys) are the retired signing keys' public halves.
    AUDIT_KEY = DEFAULT_AUDIT_KEY
    AUDIT_RETIRED_KEYS = ""
    AUDIT_SIGNING_KEY = DEFAULT_AUDIT_SIGNING_KEY
    AUDIT_VERIFY_KEYS = ""
    AUDIT_CHECKPOINT_PATH = None  # required in production; instance/ in tests and the demo

    # Links made outside a request (the QR code on a certificate, e-mails, CLI output) start
    # here; set it to the address the public reaches the platform at.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # Public certificate checks, per client address (Flask-Limiter syntax): enough for an HR
    # office checking a pile of certificates, too few to guess serials and tokens.
    CERTIFICATE_LOOKUP_LIMITS = "20 per minute; 200 per hour"

    # E-mail (docs/notifications.md). Notifications are copied to an outbox in the same
    # transaction; `flask notifications send` delivers them through this SMTP server. With no
    # MAIL_SERVER nothing is sent and the outbox waits. MAIL_SECURITY: "" (plain, e.g. a local
    # relay), "starttls" or "ssl".
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_SECURITY = ""
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_FROM = "职工技能竞赛平台 <noreply@localhost>"
    MAIL_TIMEOUT = 30  # seconds per SMTP conversation
    MAIL_MAX_ATTEMPTS = 6  # then the message is marked failed (retries wait 1, 2, 4, 8, 16 min)


def load_config(app, overrides=None):
    """Apply defaults, then environment variables, then explicit overrides."""
    app.config.from_object(Config)
    env = os.environ
    if "SECRET_KEY" in env:
        app.config["SECRET_KEY"] = env["SECRET_KEY"]
    if "DATABASE_URL" in env:
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(env["DATABASE_URL"])
    if "MIGRATION_DATABASE_URL" in env:
        app.config["MIGRATION_DATABASE_URI"] = normalise_database_url(
            env["MIGRATION_DATABASE_URL"])
    if "REDIS_URL" in env:
        app.config["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"]
    if "PUBLIC_BASE_URL" in env:
        app.config["PUBLIC_BASE_URL"] = env["PUBLIC_BASE_URL"]
    if "PROXY_COUNT" in env:
        app.config["PROXY_COUNT"] = int(env["PROXY_COUNT"])
    for name in MAIL_SETTINGS:
        if name in env:
            app.config[name] = int(env[name]) if name in ("MAIL_PORT", "MAIL_TIMEOUT") \
                else env[name]
    for name in AUDIT_SETTINGS:
        if name in env:
            app.config[name] = env[name]
    if overrides:
        app.config.update(overrides)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "competitions.sqlite")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    # The owner role runs the migrations; where one role does both (SQLite), the same URL.
    if not app.config.get("MIGRATION_DATABASE_URI"):
        app.config["MIGRATION_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"]
    if app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY and not (app.debug or app.testing):
        raise RuntimeError(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "value (python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    check_audit_settings(app)


AUDIT_SETTINGS = ("AUDIT_KEY", "AUDIT_RETIRED_KEYS", "AUDIT_SIGNING_KEY", "AUDIT_VERIFY_KEYS",
                  "AUDIT_CHECKPOINT_PATH")


def check_audit_settings(app) -> None:
    """Outside tests and debug, the audit log's keys and checkpoint sink must be set, and the
    audit key must differ from SECRET_KEY (whoever reads the one must not hold the other)."""
    config = app.config
    if app.debug or app.testing:
        if not config["AUDIT_CHECKPOINT_PATH"]:
            config["AUDIT_CHECKPOINT_PATH"] = os.path.join(app.instance_path,
                                                           "audit-checkpoints.jsonl")
        return
    missing = [name for name, default in (("AUDIT_KEY", DEFAULT_AUDIT_KEY),
                                          ("AUDIT_SIGNING_KEY", DEFAULT_AUDIT_SIGNING_KEY),
                                          ("AUDIT_CHECKPOINT_PATH", None))
               if config[name] in (default, None, "")]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} not set. The audit log needs its own keys and a checkpoint "
            "file outside the database: see docs/audit.md (production set-up).")
    if config["AUDIT_KEY"] == config["SECRET_KEY"]:
        raise RuntimeError("AUDIT_KEY must differ from SECRET_KEY (docs/audit.md).")


def engine_options(url: str, options: dict) -> dict:
    """The engine options for `url`: on PostgreSQL, also no server-side prepared statements.

    psycopg prepares a statement from its sixth run on a connection, and PostgreSQL may then
    keep one generic plan for all values, estimated without them: for the worker list before
    its name index, one that took any unit's subtree for 50 organisations and looped over
    them (p95 1.8 s over a million workers; docs/benchmarks.md, worker_search). Planned with
    its values every time, a query spends a little more on planning (2-3 ms a worker-list
    page) and never runs such a plan. A `prepare_threshold` given in the options wins."""
    if sa.engine.make_url(url).drivername != "postgresql+psycopg":
        return options
    connect_args = {"prepare_threshold": None, **options.get("connect_args", {})}
    return {**options, "connect_args": connect_args}


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
