"""Settings: one frozen object built from ``STOCKBRIDGE_*`` environment variables.

Secrets (admin token, SMTP password) come only from the environment and are never logged; the
``__repr__`` of :class:`Settings` masks them. Per-shop credentials live in the ``channels`` table,
written by ``stockbridge shop add``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PREFIX = "STOCKBRIDGE_"
SECRET_FIELDS = {"admin_token", "console_password", "warehouse_password", "secret_key", "smtp_password"}


def default_data_dir() -> Path:
    return Path(os.environ.get(PREFIX + "DATA_DIR", Path.cwd() / "var"))


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    redis_url: str = "redis://127.0.0.1:6379/0"
    admin_token: str = ""
    console_password: str = ""
    warehouse_password: str = ""  # opens the label station only (console.auth)
    secret_key: str = ""
    max_body_bytes: int = 2 * 1024 * 1024
    hold_minutes: int = 60
    event_max_attempts: int = 8
    event_claim_seconds: int = 15
    drain_batch: int = 20
    drain_time_budget: float = 20.0
    echo_window_seconds: int = 120
    manual_edit_policy: str = "accept"
    push_batch_size: int = 100
    http_timeout: float = 30.0
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: str = "auto"
    alert_from: str = "stockbridge@localhost"
    alert_to: str = ""
    alert_repeat_minutes: int = 60
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown.append(f"{f.name}={'***' if f.name in SECRET_FIELDS and value else value!r}")
        return f"Settings({', '.join(shown)})"


def _coerce(kind, raw: str):
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    return raw


def load_settings(overrides: dict | None = None) -> Settings:
    """Build settings from defaults, then ``STOCKBRIDGE_<NAME>`` variables, then ``overrides``."""
    values: dict = {}
    for f in fields(Settings):
        if f.name == "extra":
            continue
        raw = os.environ.get(PREFIX + f.name.upper())
        if raw not in (None, ""):
            values[f.name] = _coerce(f.type, raw)
    for key, value in (overrides or {}).items():
        key = key.lower().removeprefix(PREFIX.lower())
        if key in {f.name for f in fields(Settings)}:
            values[key] = value
    if not values.get("database_url"):
        data_dir = default_data_dir()
        data_dir.mkdir(parents=True, exist_ok=True)
        values["database_url"] = f"sqlite:///{data_dir / 'stockbridge.sqlite3'}"
    return Settings(**values)
