"""Configuration from the environment (prefix ALLOT_) or a .env file."""

from __future__ import annotations

from functools import lru_cache

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALLOT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite://allot.db"
    host: str = "127.0.0.1"
    port: int = 8000
    #: GraphQL safety limits, checked before execution.
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_page_size: int = 1000
    #: The largest estimated cost of one operation (schema/cost.py: fields after fragment
    #: expansion, times `first:`/`limit:` or the default page size of connections and a
    #: factor of 10 for other lists). The dashboard's and the bot's documents cost < 20,000.
    max_query_cost: int = 100_000
    #: The longest list in the variables or in the document (`recordSpends` takes 10,000).
    max_list_items: int = 10_000
    introspection: bool = True
    #: Request bodies and WebSocket messages larger than this are refused with 413 (or closed
    #: with 1009) before they are parsed. A 10,000-item `recordSpends` with every field filled
    #: in is about 3.8 MB.
    max_body_bytes: int = 5 * 1024 * 1024
    #: The web app's sign-in (app/sessions.py): the key that signs session cookies. Unset, one
    #: is derived that all workers share (app.sessions.session_key): for PostgreSQL from the
    #: database URL and its password, for SQLite a random key in `<database file>.session-key`.
    session_secret: str | None = None
    #: How long a session lasts after sign-in.
    session_max_age_hours: float = 12.0
    #: Send the session cookie over HTTPS only (the `Secure` attribute): set it behind TLS.
    session_cookie_secure: bool = False
    #: Optional OpenID Connect sign-in (app/oidc.py): the provider's issuer URL (its
    #: discovery document is `<issuer>/.well-known/openid-configuration`), this client's id
    #: and secret at the provider, and the name on the login page's "Sign in with <name>"
    #: button. All three of issuer, id and secret set turn it on. The provider's verified
    #: e-mail must be an existing Allot user's: nobody is created by signing in.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_name: str = "single sign-on"
    oidc_scopes: str = "openid email profile"

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    #: The bearer token `/metrics` asks for; without one `/metrics` answers 404.
    metrics_token: str | None = None
    #: On SIGTERM, how long in-flight requests may finish before they are cancelled.
    shutdown_grace_seconds: float = 5.0
    #: Recurring budgets may not start more than this many years back.
    max_backdate_years: int = 10
    #: How often an open subscription re-checks its token and roles (seconds).
    subscription_recheck_seconds: float = 5.0
    #: Slack (all optional: the bot is mounted only when a signing secret is set).
    slack_signing_secret: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_team_id: str | None = None
    slack_api_url: str | None = None
    slack_command: str = "/allot"
    #: Background workers inside `allot serve`.
    run_workers: bool = True
    outbox_poll_seconds: float = 1.0
    reservation_ttl_seconds: int = 900
    # --- alerts and their delivery (issue #14) ------------------------------------------
    #: A forecast alert is raised when the projected spend at period end exceeds the envelope
    #: (or the budget) by more than this margin, and resolved once it is back under the
    #: margin minus the hysteresis (so a projection hovering at the line raises it once).
    alert_forecast_margin_percent: int = 10
    alert_forecast_hysteresis_percent: int = 5
    #: A PACE alert: share spent ahead of the share of the period elapsed by more than this
    #: many points; resolved once within the margin minus the hysteresis.
    alert_pace_margin_points: int = 20
    alert_pace_hysteresis_points: int = 10
    #: A transfer request waiting longer than this raises TRANSFER_PENDING_TOO_LONG.
    alert_transfer_pending_hours: float = 48.0
    #: How often the alert pass (forecasts, pace, resolutions, digests) runs in `allot serve`.
    alert_scan_seconds: float = 60.0
    #: Delivery: parallel calls per destination kind, each call's timeout (kept well under the
    #: claim lease), and when a failing destination is given up on (DEAD).
    delivery_slack_concurrency: int = 4
    delivery_email_concurrency: int = 2
    delivery_webhook_concurrency: int = 8
    delivery_timeout_seconds: float = 15.0
    delivery_max_attempts: int = 12
    delivery_max_age_hours: float = 24.0
    #: The hour (UTC) digests go out; weekly digests on Mondays.
    digest_hour_utc: int = 8
    #: A digest per budget Slack channel (spent, pace, top movers, pending requests): DAILY or
    #: WEEKLY (Mondays), at digest_hour_utc; "" (the default) posts none.
    slack_channel_digest: str = ""

    @field_validator("slack_channel_digest")
    @classmethod
    def _channel_digest_frequency(cls, value: str) -> str:
        """DAILY or WEEKLY in any case; a typo is refused at start-up, not silently ignored."""
        value = value.strip().upper()
        if value not in ("", "DAILY", "WEEKLY"):
            raise ValueError("must be DAILY, WEEKLY or empty (no channel digest)")
        return value

    #: Webhooks: how long a rotated-out secret still signs (both signatures are sent).
    webhook_secret_grace_hours: float = 24.0
    #: SMTP for e-mail alerts (nothing is e-mailed without a host).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "allot@localhost"
    #: STARTTLS (the default, port 587), TLS (implicit, port 465) or NONE (a local relay).
    smtp_tls: str = "STARTTLS"
    #: The public URL of the server, for links in e-mails ("" leaves links out).
    public_url: str = ""


@lru_cache
def get_settings() -> Settings:
    return Settings()
