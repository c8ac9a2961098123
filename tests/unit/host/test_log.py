"""host.log (Log): records reach the host with the plugin's name, typed attributes and a capped message."""

from __future__ import annotations

import datetime

from reglet_abi.reglet.v1 import CallContext, LogAttribute, LogLevel, LogRequest
from reglet_sdk.host.log import MAX_LOG_MESSAGE, PluginLogRecord
from tests.unit.host.support import handlers


def test_a_record_is_forwarded_with_typed_attributes() -> None:
    records: list[PluginLogRecord] = []
    handlers(records=records).log(
        LogRequest(
            level=LogLevel.WARNING,
            message="disk low",
            logger="plugin.disk",
            attributes=[
                LogAttribute(key="free", int_value=5),
                LogAttribute(key="took", duration_ms_value=1500),
                LogAttribute(key="ok", bool_value=False),
            ],
        )
    )
    (record,) = records
    assert (record.plugin, record.level, record.message, record.logger) == ("t", "WARNING", "disk low", "plugin.disk")
    assert record.attributes == {"free": 5, "took": datetime.timedelta(seconds=1.5), "ok": False}
    assert record.request_id == "r1"


def test_the_message_is_capped_and_the_cut_is_said() -> None:
    records: list[PluginLogRecord] = []
    handlers(records=records).log(LogRequest(message="x" * (MAX_LOG_MESSAGE + 10)))
    assert records[0].message.endswith("... [10 characters cut]")
    assert len(records[0].message) < MAX_LOG_MESSAGE + 40


def test_the_context_request_id_is_kept() -> None:
    records: list[PluginLogRecord] = []
    handlers(records=records).log(LogRequest(message="m", context=CallContext(request_id="abc")))
    assert records[0].request_id == "abc"
