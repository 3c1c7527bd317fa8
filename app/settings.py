"""Configuration from the environment (prefix ALLOT_) or a .env file."""

from __future__ import annotations

from functools import lru_cache

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
    introspection: bool = True
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


@lru_cache
def get_settings() -> Settings:
    return Settings()
