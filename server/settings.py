"""Settings from the environment (prefix ``MAILSCOPE_``)."""

from __future__ import annotations

import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


def default_database_url() -> str:
    return f"sqlite:///{(VAR_DIR / 'mailscope.db').resolve()}"


class Settings(BaseSettings):
    # An empty variable (MAILSCOPE_DATABASE_URL= in a shell or .env) means "not set",
    # as it does to most tools, not an empty URL or key.
    model_config = SettingsConfigDict(env_prefix="MAILSCOPE_", extra="ignore",
                                      env_ignore_empty=True)

    database_url: str = Field(default_factory=default_database_url)
    broker_url: str | None = None
    secret_key: str | None = None
    auth: bool = True
    currency: str = "USD"
    embedded_workers: int = 2
    # Last-email-touch attribution windows (see the README): an order belongs to the
    # latest click within 7 days, open within 3 days or delivery within 1 day before it.
    attribution_click_days: float = Field(default=7, ge=0)
    attribution_open_days: float = Field(default=3, ge=0)
    attribution_delivery_days: float = Field(default=1, ge=0)
    # Multi-touch attribution defaults (the attribution query, page and CLI): how far
    # back a journey reaches, and which email events count as touches (comma-separated
    # delivered, open, click). Deliveries are left out by default: almost every order
    # has one, so they would credit email for merely being sent.
    multitouch_lookback_days: float = Field(default=30, gt=0)
    # The global frequency cap on trigger firings per customer, across every trigger
    # (see the README): at most this many in any window of this many days; 0 turns it off.
    trigger_cap: int = Field(default=3, ge=0)
    trigger_cap_days: float = Field(default=7, gt=0)
    # The zone a trigger time window is read in for customers without a known time zone.
    trigger_timezone: str = "UTC"
    multitouch_email_kinds: str = "open,click"
    # Budget alerts (``mailscope budget alerts``): ROI below this percent, a month's spend
    # running faster than this multiple of its pace, or a cost per conversion above this
    # amount (unset: no CPA alerts) raise an alert.
    budget_low_roi_percent: float = 0.0
    budget_high_burn_rate: float = Field(default=1.2, gt=0)
    budget_high_cpa: float | None = Field(default=None, gt=0)
    # Provider webhooks (see "Provider webhooks" in the README): the proof each provider's
    # deliveries must carry; a provider left unset refuses every delivery with 401.
    webhook_sendgrid_public_key: str | None = None
    webhook_mailgun_signing_key: str | None = None
    webhook_postmark_username: str | None = None
    webhook_postmark_password: str | None = None
    webhook_ses_token: str | None = None
    webhook_ses_topic_arns: str = ""
    # Per provider, which tag / custom argument / metadata key names our campaign,
    # customer and variant, e.g. {"sendgrid": {"campaign": "campaign"}} (JSON).
    webhook_tag_keys: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Persisted GraphQL queries: a JSON manifest of sha256 -> document, and whether
    # /graphql runs only those (see "GraphQL API" in the README).
    graphql_persisted_queries: str | None = None
    graphql_persisted_only: bool = False
    # Predictions: churn means no engagement and no purchase over the next N days;
    # lifetime value forecasts orders and revenue over its own N days; batch scoring
    # splits customers into this many shards (one job each); LightGBM threads per job.
    churn_horizon_days: int = Field(default=60, ge=1, le=730)
    ltv_horizon_days: int = Field(default=90, ge=1, le=730)
    score_shards: int = Field(default=2, ge=1, le=256)
    prediction_threads: int = Field(default=1, ge=1, le=64)
    # Request bodies: the most any request may send, and the most an import or a provider
    # webhook may (see "Security" in the README).
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    # Rate limits, token buckets: per API key, and per client IP for requests without a
    # key; rate is requests per second, burst how many may come at once (0 turns a limit
    # off). Buckets live in Redis when rate_limit_redis_url (else a redis broker_url) is
    # set, so every replica shares them; in the process otherwise.
    rate_limit_per_second: float = Field(default=20.0, ge=0)
    rate_limit_burst: int = Field(default=100, ge=0)
    rate_limit_anonymous_per_second: float = Field(default=2.0, ge=0)
    rate_limit_anonymous_burst: int = Field(default=30, ge=0)
    rate_limit_redis_url: str | None = None
    # Privacy (see "Privacy" in the README): raw email events older than this many days
    # are deleted by ``mailscope retention apply`` (and its job) and refused at import;
    # unset keeps them forever.
    raw_event_retention_days: int | None = Field(default=None, ge=1, le=36_500)
    # Customer addresses stored as keyed hashes (see "Hashing of addresses at rest" in
    # the README); the key is a secret (never shown in logs or reprs) and cannot change
    # once addresses were hashed with it.
    email_hashing: bool = False
    email_hash_key: SecretStr | None = None
    # Redis broker (see "Faults" in the README): a worker process that has not talked to
    # Redis for this many seconds counts as dead, and the jobs it had taken go back to the
    # queue for another worker. Live workers talk to Redis about once a second, even while
    # a job runs for hours, so this bounds how long a killed worker's job waits for its
    # retry, not how long a job may run. Set the same value on every worker and server.
    worker_heartbeat_timeout_s: float = Field(default=60, ge=2, le=86_400)

    @field_validator("multitouch_email_kinds")
    @classmethod
    def _known_email_kinds(cls, value: str) -> str:
        kinds = [kind.strip().lower() for kind in value.split(",") if kind.strip()]
        unknown = sorted(set(kinds) - {"delivered", "open", "click"})
        if not kinds or unknown:
            raise ValueError(f"MAILSCOPE_MULTITOUCH_EMAIL_KINDS={value!r}: list one or more "
                             "of delivered, open, click, comma-separated")
        return ",".join(kinds)

    @field_validator("trigger_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"MAILSCOPE_TRIGGER_TIMEZONE={value!r} is not an IANA time zone: "
                             "use one such as UTC or Europe/Berlin") from None
        return value

    @model_validator(mode="after")
    def _hash_key_given(self) -> Settings:
        key = self.email_hash_key.get_secret_value() if self.email_hash_key else ""
        if self.email_hashing and len(key) < 32:
            raise ValueError("MAILSCOPE_EMAIL_HASHING=on needs MAILSCOPE_EMAIL_HASH_KEY: a "
                             "secret of at least 32 characters (e.g. from `openssl rand "
                             "-hex 32`), the same on every server and worker")
        return self

    @field_validator("broker_url", "rate_limit_redis_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def rate_limit_redis(self) -> str | None:
        """Where the shared rate-limit buckets live, if anywhere."""
        if self.rate_limit_redis_url:
            return self.rate_limit_redis_url
        broker = self.broker_url or ""
        return broker if broker.startswith(("redis://", "rediss://")) else None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept under ``var/``."""
        if self.secret_key:
            return self.secret_key
        path = VAR_DIR / "secret_key"
        if path.exists():
            return path.read_text().strip()
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


_current: Settings | None = None


def get_settings() -> Settings:
    """The settings in force: from the environment unless ``configure`` replaced them."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def configure(**values: object) -> Settings:
    """Replace the settings in force (CLI ``--database-url``, tests). Unset values keep
    their environment or default value."""
    global _current
    _current = Settings(**values)  # type: ignore[arg-type]
    return _current
