"""Scheduled: carrier keys and tokens that expire soon become ``credentials_expiring`` alerts.

Nova Poshta API keys last a year; an account's expiry date is ``settings["credentials_expire_at"]``
(``stockbridge carrier add NAME ... --expires YYYY-MM-DD``). An alert is raised from 30 days ahead
(``connector.label_station.EXPIRY_WARNING_DAYS``) and resolved when a later date is recorded. The
label station shows the same dates.
"""

from __future__ import annotations

from connector import alerts
from connector.db import transaction
from connector.label_station import credential_health, expiry_message
from connector.models import utcnow
from workers import context


def check_credentials() -> str:
    """Raise or resolve one alert per carrier account."""
    warned = 0
    with transaction(context.engine()) as session:
        for row in credential_health(session, utcnow().date()):
            key = f"credentials:{row['id']}"
            if row["warn"]:
                alerts.raise_alert(session, kind="credentials_expiring", key=key, channel_id=row["id"],
                                   message=expiry_message(row))
                warned += 1
            else:
                alerts.resolve(session, key)
    return f"{warned} carrier accounts need new credentials soon"
