"""E-mail for open alerts (``connector.alerts``): one digest per run, each alert at most once per
``alert_repeat_minutes``. Without SMTP settings alerts stay on the console only.

Settings: ``STOCKBRIDGE_SMTP_HOST``, ``_SMTP_PORT`` (587), ``_SMTP_USER``, ``_SMTP_PASSWORD``,
``_SMTP_STARTTLS`` (auto|yes|no), ``_ALERT_FROM``, ``_ALERT_TO`` (comma-separated),
``_ALERT_REPEAT_MINUTES`` (60). Alert texts carry no personal data (order numbers and SKUs only).
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import or_, select

from connector.db import transaction
from connector.models import Alert, utcnow
from connector.settings import Settings
from workers import context


def due_alerts(session, repeat_minutes: int) -> list[Alert]:
    cutoff = utcnow() - timedelta(minutes=repeat_minutes)
    return list(session.scalars(select(Alert).where(
        Alert.resolved_at.is_(None), or_(Alert.last_sent_at.is_(None), Alert.last_sent_at < cutoff)
    ).order_by(Alert.id)))


def compose(cfg: Settings, alerts: list[Alert]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"Stockbridge: {len(alerts)} alert{'s' if len(alerts) != 1 else ''} need attention"
    message["From"] = cfg.alert_from
    message["To"] = cfg.alert_to
    lines = [f"- [{a.kind}] {a.message} (seen {a.count}x since {a.created_at:%Y-%m-%d %H:%M} UTC)" for a in alerts]
    message.set_content("Open alerts:\n\n" + "\n".join(lines) + "\n\nDetails: the console's Alerts page.\n")
    return message


def deliver(cfg: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=30) as smtp:
        if cfg.smtp_starttls == "yes" or (cfg.smtp_starttls == "auto" and smtp.has_extn("starttls")):
            smtp.starttls()
        if cfg.smtp_user:
            smtp.login(cfg.smtp_user, cfg.smtp_password)
        smtp.send_message(message, to_addrs=[a.strip() for a in cfg.alert_to.split(",") if a.strip()])


def send_alerts() -> str:
    """Scheduled: mail the alerts that are due; marks them sent only after the server accepted."""
    cfg = context.settings()
    if not (cfg.smtp_host and cfg.alert_to):
        return "SMTP not configured; alerts on the console only"
    with transaction(context.engine()) as session:
        alerts = due_alerts(session, cfg.alert_repeat_minutes)
        if not alerts:
            return "nothing due"
        deliver(cfg, compose(cfg, alerts))
        now = utcnow()
        for alert in alerts:
            alert.last_sent_at = now
    return f"{len(alerts)} alerts mailed"
