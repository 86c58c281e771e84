"""Configuration, read from the environment (see the README's Configuration table)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from rules.calendar import CalendarRules, default_rules


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    temporal_address: str | None = Field(
        default=None, validation_alias=AliasChoices("TEMPORAL_ADDRESS", "temporal_address")
    )
    temporal_namespace: str = Field(
        default="default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE", "temporal_namespace")
    )
    task_queue: str = Field(
        default="procurements", validation_alias=AliasChoices("PROCURE_TASK_QUEUE", "task_queue")
    )
    data_dir: Path = Field(
        default=Path(".data"), validation_alias=AliasChoices("PROCURE_DATA_DIR", "data_dir")
    )
    api_host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("PROCURE_API_HOST", "api_host")
    )
    api_port: int = Field(
        default=8000, validation_alias=AliasChoices("PROCURE_API_PORT", "api_port")
    )
    temporal_port: int = Field(
        default=7233, validation_alias=AliasChoices("PROCURE_TEMPORAL_PORT", "temporal_port")
    )
    temporal_ui_port: int = Field(
        default=8233, validation_alias=AliasChoices("PROCURE_TEMPORAL_UI_PORT", "temporal_ui_port")
    )
    temporal_ui_url: str | None = Field(
        default=None, validation_alias=AliasChoices("PROCURE_TEMPORAL_UI_URL", "temporal_ui_url")
    )
    workflow_cache_size: int | None = Field(
        default=None,
        ge=0,
        validation_alias=AliasChoices("PROCURE_WORKFLOW_CACHE_SIZE", "workflow_cache_size"),
        description="Workflows a worker keeps in memory (Temporal's default when unset); 0 "
        "replays every workflow task from history.",
    )
    continue_as_new_events: int | None = Field(
        default=None,
        ge=20,
        le=51_200,
        validation_alias=AliasChoices("PROCURE_CONTINUE_AS_NEW_EVENTS", "continue_as_new_events"),
        description="History length at which a procurement or order workflow continues as new "
        "(also whenever Temporal suggests it); unset: 10,000 events. Pinned at launch.",
    )
    split_policy: Literal["flag", "refuse"] = Field(
        default="flag",
        validation_alias=AliasChoices("PROCURE_SPLIT_POLICY", "split_policy"),
        description="A small purchase that may divide one need (20-20(a)): 'flag' it for the "
        "SPO's determination, or 'refuse' it.",
    )
    split_window_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        validation_alias=AliasChoices("PROCURE_SPLIT_WINDOW_DAYS", "split_window_days"),
    )
    observed_holidays: bool = Field(
        default=False,
        validation_alias=AliasChoices("PROCURE_OBSERVED_HOLIDAYS", "observed_holidays"),
        description=(
            "Count the Friday before a Saturday holiday and the Monday after a Sunday holiday "
            "as holidays under 15-45 (80 Ill. Adm. Code 303.200). Off: the statute's text."
        ),
    )
    declared_closures_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("PROCURE_DECLARED_CLOSURES", "declared_closures_file"),
    )

    oidc_issuer: str | None = Field(
        default=None, validation_alias=AliasChoices("PROCURE_OIDC_ISSUER", "oidc_issuer")
    )
    oidc_audience: str | None = Field(
        default=None, validation_alias=AliasChoices("PROCURE_OIDC_AUDIENCE", "oidc_audience")
    )
    oidc_jwks_url: str | None = Field(
        default=None, validation_alias=AliasChoices("PROCURE_OIDC_JWKS_URL", "oidc_jwks_url")
    )
    oidc_role_claim: str = Field(
        default="procure_role",
        validation_alias=AliasChoices("PROCURE_OIDC_ROLE_CLAIM", "oidc_role_claim"),
    )
    oidc_agency_claim: str = Field(
        default="procure_agency",
        validation_alias=AliasChoices("PROCURE_OIDC_AGENCY_CLAIM", "oidc_agency_claim"),
    )
    oidc_vendor_claim: str = Field(
        default="procure_vendor",
        validation_alias=AliasChoices("PROCURE_OIDC_VENDOR_CLAIM", "oidc_vendor_claim"),
    )

    reminder_offsets: str = Field(
        default="3,1,0",
        pattern=r"^\s*\d{1,2}(\s*,\s*\d{1,2})*\s*$",
        validation_alias=AliasChoices("PROCURE_REMINDER_OFFSETS", "reminder_offsets"),
        description="Business days before each deadline's day that reminders go out, 0 for "
        "the day itself; an overdue notice always follows. Pinned when a procurement launches.",
    )
    bid_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PROCURE_BID_KEY", "bid_key"),
        description="Fernet key sealing bid contents until the opening; never stored in the "
        "database. The embedded stack makes one under PROCURE_DATA_DIR.",
    )

    max_live_bids_per_vendor: int = Field(
        default=3,
        ge=1,
        le=100,
        validation_alias=AliasChoices(
            "PROCURE_MAX_LIVE_BIDS_PER_VENDOR", "max_live_bids_per_vendor"
        ),
        description="Bids one vendor may hold in one procurement at once (alternates "
        "included); more are refused with 409 'bid_limit'.",
    )
    max_bid_submissions_per_vendor: int = Field(
        default=100,
        ge=1,
        le=10_000,
        validation_alias=AliasChoices(
            "PROCURE_MAX_BID_SUBMISSIONS_PER_VENDOR", "max_bid_submissions_per_vendor"
        ),
        description="Bids one vendor may submit to one procurement in all, replacements and "
        "withdrawn bids included; more are refused with 409 'bid_limit'.",
    )
    max_request_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        validation_alias=AliasChoices("PROCURE_MAX_REQUEST_BYTES", "max_request_bytes"),
        description="The largest request body the API reads; a larger one is refused with "
        "413 before it is read in full.",
    )
    idempotency_key_hours: float = Field(
        default=24,
        gt=0,
        le=24 * 366,
        validation_alias=AliasChoices("PROCURE_IDEMPOTENCY_KEY_HOURS", "idempotency_key_hours"),
        description="How long an Idempotency-Key names its first request; after that it is "
        "new again and its record is deleted.",
    )
    db_pool_size: int = Field(
        default=20,
        ge=2,
        le=200,
        validation_alias=AliasChoices("PROCURE_DB_POOL_SIZE", "db_pool_size"),
        description="Connections each process keeps to PostgreSQL at most.",
    )
    outbox_max_attempts: int = Field(
        default=8,
        ge=1,
        validation_alias=AliasChoices("PROCURE_OUTBOX_MAX_ATTEMPTS", "outbox_max_attempts"),
        description="Delivery attempts of one message before it is dead-lettered.",
    )
    outbox_backoff_initial_seconds: float = Field(
        default=5,
        gt=0,
        validation_alias=AliasChoices(
            "PROCURE_OUTBOX_BACKOFF_INITIAL_SECONDS", "outbox_backoff_initial_seconds"
        ),
        description="Wait after a message's first failed attempt; it doubles per attempt.",
    )
    outbox_backoff_max_seconds: float = Field(
        default=3600,
        gt=0,
        validation_alias=AliasChoices(
            "PROCURE_OUTBOX_BACKOFF_MAX_SECONDS", "outbox_backoff_max_seconds"
        ),
        description="The longest wait between two attempts of one message.",
    )
    webhook_timeout_seconds: float = Field(
        default=10,
        gt=0,
        validation_alias=AliasChoices("PROCURE_WEBHOOK_TIMEOUT_SECONDS", "webhook_timeout_seconds"),
        description="Timeout of one webhook POST (and of one SMTP exchange).",
    )
    smtp_host: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PROCURE_SMTP_HOST", "smtp_host"),
        description="The SMTP relay for email subscriptions; unset, email deliveries fail "
        "with an error and are retried.",
    )
    smtp_port: int = Field(
        default=25, validation_alias=AliasChoices("PROCURE_SMTP_PORT", "smtp_port")
    )
    smtp_sender: str = Field(
        default="procureflow@localhost",
        validation_alias=AliasChoices("PROCURE_SMTP_SENDER", "smtp_sender"),
    )
    smtp_username: str | None = Field(
        default=None, validation_alias=AliasChoices("PROCURE_SMTP_USERNAME", "smtp_username")
    )
    smtp_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("PROCURE_SMTP_PASSWORD", "smtp_password")
    )
    smtp_starttls: bool = Field(
        default=False, validation_alias=AliasChoices("PROCURE_SMTP_STARTTLS", "smtp_starttls")
    )

    def reminder_days(self) -> list[int]:
        return sorted({int(part) for part in self.reminder_offsets.split(",")}, reverse=True)

    def calendar_rules(self) -> CalendarRules:
        return default_rules(observed_days=self.observed_holidays, path=self.declared_closures_file)

    def ui_url(self) -> str | None:
        """The Temporal Web UI, for links to a procurement's workflow; None where there is none
        (an empty PROCURE_TEMPORAL_UI_URL, and the time-skipping server, which has no UI)."""
        if self.temporal_ui_url == "":
            return None
        return self.temporal_ui_url or f"http://localhost:{self.temporal_ui_port}"

    def simulated(self) -> None:
        """Settings for a stack on the time-skipping server: no Web UI to link to, unless one
        was configured."""
        if self.temporal_ui_url is None:
            self.temporal_ui_url = ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
