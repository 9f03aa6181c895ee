"""Carrier accounts -> carrier clients. A carrier account is a channel of kind ``carrier`` whose
``settings["carrier"]`` names the integration and whose ``credentials`` fill that client's settings."""

from __future__ import annotations

import importlib

from connector.errors import ConfigurationError
from connector.models import Channel
from connector.shipping import Carrier

#: integration -> (module, settings class, client class)
REGISTRY = {
    "inpost": ("connector.clients.inpost", "InPostSettings", "InPostClient"),
    "dhl_poland": ("connector.clients.dhl_poland", "DhlSettings", "DhlPolandClient"),
    "novaposhta": ("connector.clients.novaposhta", "NovaPoshtaSettings", "NovaPoshtaClient"),
    "cdek": ("connector.clients.cdek", "CdekSettings", "CdekClient"),
}


def client_for(account: Channel, timeout: float = 30.0) -> Carrier:
    integration = (account.settings or {}).get("carrier", "")
    if integration not in REGISTRY:
        raise ConfigurationError(f"carrier account {account.name}: unknown integration {integration!r}")
    module_name, settings_name, client_name = REGISTRY[integration]
    module = importlib.import_module(module_name)
    settings = getattr(module, settings_name)(**{**account.credentials, "base_url": account.base_url,
                                                 "timeout": timeout})
    return getattr(module, client_name)(settings)
