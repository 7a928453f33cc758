"""The service's configuration: one pydantic-settings class, read from the environment and `.env`.

It lives in `stores/` because every room (api, graph, tools, stores) reads it and `stores/` is the
one room everything may import.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message is one line a human can act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    twilio_validate_signature: bool = True
    public_base_url: str | None = Field(
        default=None,
        description="Base URL Twilio calls (scheme://host[:port]); signatures are checked on it.",
    )

    database_url: str = "sqlite:///./data/assistant.db"

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_max_tokens: int = Field(default=400, ge=16, le=4096)
    llm_timeout_seconds: float = Field(default=20.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_token_limit_field: Literal["auto", "max_tokens", "max_completion_tokens"] = Field(
        default="auto",
        description="Request field for LLM_MAX_TOKENS (auto: max_completion_tokens for "
        "api.openai.com, max_tokens for every other server).",
    )
    llm_relevant_tools_only: bool = Field(
        default=False,
        description="Offer the model only the tools relevant to the text (small local models).",
    )
    turn_budget_seconds: float = Field(
        default=45.0, gt=0, le=600, description="No model call starts after this; then an apology."
    )

    admin_token: SecretStr | None = None
    env: Literal["development", "production"] = "development"
    encryption_key: SecretStr | None = Field(
        default=None, description="Fernet keys, comma-separated, newest first."
    )
    encryption_key_file: str = "./data/encryption.key"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    default_region: str = Field(
        default="US", description="Region used to read phone numbers typed without a +country code."
    )
    default_timezone: str = "UTC"
    unknown_sender_policy: Literal["reply_daily", "silent"] = "reply_daily"
    unknown_sender_message: str = (
        "This number isn't registered with this assistant. Ask its operator to add you."
    )
    reply_deadline_seconds: float = Field(
        default=10.0,
        gt=0,
        le=14,
        description="How long the webhook waits for its turn (Twilio: 15 s).",
    )
    serve_embedded_worker: Literal["auto", "on", "off"] = Field(
        default="auto", description="Run turns and sends inside `serve` (auto: on for SQLite)."
    )
    turn_concurrency: int = Field(
        default=200,
        ge=1,
        le=10_000,
        description="Turns one process runs at once (they mostly wait on I/O).",
    )
    llm_concurrency: int = Field(
        default=64,
        ge=1,
        le=1_000,
        description="LLM calls one process makes at once (provider rate limits).",
    )
    worker_poll_seconds: float = Field(default=0.5, gt=0, le=30)
    send_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    send_inline_attempts: int = Field(default=4, ge=1, le=10)
    send_retry_initial_seconds: float = Field(default=0.5, ge=0, le=30)
    send_retry_horizon_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 14,
        description="How long a REST send is retried (backing off) before it is failed.",
    )
    rate_limit_per_minute: int = Field(default=10, ge=1, description="Texts per sender.")
    rate_limit_per_day: int = Field(default=200, ge=1, description="Texts per sender.")
    rate_limit_global_per_minute: int = Field(default=600, ge=1, description="All senders.")
    daily_segment_cap: int = Field(
        default=100, ge=1, description="Outbound SMS segments per user per 24 h (cost cap)."
    )
    max_reply_segments: int = Field(
        default=3, ge=1, le=10, description="Longer replies are cut and continue on MORE."
    )
    max_plan_steps: int = Field(default=6, ge=1, le=25)
    history_max_messages: int = Field(default=40, ge=4, le=1000)

    # Memory, summaries, knowledge base. Embeddings run locally (an installed ONNX model) unless
    # EMBEDDINGS_PROVIDER=openai, which uses OPENAI_BASE_URL/OPENAI_API_KEY.
    embeddings_provider: Literal["local", "openai"] = "local"
    embeddings_model: str = "text-embedding-3-small"
    memory_top_k: int = Field(default=5, ge=1, le=50)
    memory_min_score: float = Field(default=0.3, ge=-1.0, le=1.0)
    rag_top_k: int = Field(default=4, ge=1, le=20)
    rag_min_score: float = Field(default=0.3, ge=-1.0, le=1.0)
    history_token_budget: int = Field(
        default=2000, ge=200, le=200_000, description="Fold older turns into a summary past this."
    )
    media_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)

    # Reminders and other proactive texts: the scheduler's poll, quiet hours (each user may set
    # their own), a daily cap per user, and how late a missed reminder may still be sent.
    quiet_hours_start: str = Field(default="22:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_hours_end: str = Field(default="07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    proactive_daily_cap: int = Field(default=20, ge=1, le=1000)
    scheduler_poll_seconds: float = Field(default=0.5, gt=0, le=30)
    reminder_late_limit_hours: float = Field(default=6.0, gt=0, le=72)

    @field_validator("env", mode="before")
    @classmethod
    def _lower_env(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "twilio_account_sid",
        "twilio_from_number",
        "twilio_messaging_service_sid",
        "public_base_url",
        "openai_base_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "twilio_auth_token", "openai_api_key", "admin_token", "encryption_key", mode="before"
    )
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("twilio_account_sid")
    @classmethod
    def _check_account_sid(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT_SID.match(value):
            raise ValueError("must be 'AC' followed by 32 hex digits")
        return value

    @field_validator("twilio_messaging_service_sid")
    @classmethod
    def _check_messaging_service_sid(cls, value: str | None) -> str | None:
        if value is not None and not _MESSAGING_SERVICE_SID.match(value):
            raise ValueError("must be 'MG' followed by 32 hex digits")
        return value

    @field_validator("public_base_url", "twilio_api_base_url", "openai_base_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL such as https://example.com")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
            raise ValueError(f"unknown IANA timezone {value!r}") from None
        return value

    def check_can_serve(self) -> None:
        """Start-up checks for the webhook server (the graph and the CLI do not need Twilio)."""
        if self.twilio_validate_signature and self.twilio_auth_token is None:
            raise ConfigurationError(
                "Configuration error: TWILIO_AUTH_TOKEN is required to verify Twilio signatures "
                "(set it, or TWILIO_VALIDATE_SIGNATURE=false for local experiments only)"
            )

    @property
    def twilio_rest_configured(self) -> bool:
        return self.twilio_account_sid is not None and self.twilio_auth_token is not None

    def runs_embedded_worker(self) -> bool:
        if self.serve_embedded_worker == "auto":
            return self.database_url.split(":", 1)[0].split("+", 1)[0] == "sqlite"
        return self.serve_embedded_worker == "on"

    @model_validator(mode="after")
    def _embeddings_need_a_server(self) -> Settings:
        if self.embeddings_provider == "openai" and not self.llm_configured:
            raise ValueError("EMBEDDINGS_PROVIDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
        return self

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None or self.openai_base_url is not None


def describe_validation_error(error: ValidationError) -> str:
    """One line naming the environment variable at fault and what is wrong with it."""
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]).upper()
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{field}: {message}" if field else message)
    return "Configuration error: " + "; ".join(problems)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, raising ConfigurationError with one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigurationError(describe_validation_error(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once. Only composition roots (the app factory, the CLI,
    the worker, the LangGraph entry point) call this; everything below them is handed Settings
    or reads them from the runtime Context. Tests build their own with `load_settings`."""
    return load_settings()
