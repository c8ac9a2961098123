"""What the host-function tests share: the binding table of one call with the given grants."""

from __future__ import annotations

from reglet_sdk.host.handlers import CallHandlers
from reglet_sdk.host.log import PluginLogRecord
from reglet_sdk.host.policy import as_policy


def handlers(*grants: str, records: list[PluginLogRecord] | None = None) -> CallHandlers:
    """The handlers of one call of plugin "t" (request id "r1") granted exactly `grants`."""
    sink = records if records is not None else []
    return CallHandlers("t", "r1", sink.append, as_policy(grants))
