"""Values people return and log, on a built component: converted as other SDKs do, never a crash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reglet_sdk.host import Host, HostConfig, LoadedPlugin, PluginLogRecord
from tests.conftest import COMPILE_CACHE, TEST_PLUGINS, build_test_plugin

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def records() -> list[PluginLogRecord]:
    return []


@pytest.fixture(scope="module")
def values(records: list[PluginLogRecord]) -> Iterator[LoadedPlugin]:
    with Host(HostConfig(timeout=10, cache_dir=COMPILE_CACHE, on_log=records.append)) as host:
        yield host.load(build_test_plugin(TEST_PLUGINS / "values"))


def test_datetimes_dates_enums_and_uuids_are_converted(values: LoadedPlugin) -> None:
    result = values.check({})
    assert result.status == "success", result.error
    assert result.data == {
        "expires": "2026-01-02T03:04:05Z",
        "naive": "2026-01-02T03:04:05Z",
        "offset": "2026-01-02T05:04:05+02:00",
        "day": "2026-01-02",
        "at": "12:30:00",
        "severity": "high",
        "level": 3,
        "id": "12345678-1234-5678-1234-567812345678",
        "nested": [{"when": "2025-12-31", "severity": "low"}],
    }


def test_an_unconvertible_value_is_an_error_naming_its_key_path(values: LoadedPlugin) -> None:
    result = values.check({"mode": "unconvertible"})
    assert result.error is not None and result.error.code == "BAD_DATA"
    assert "data['outer']['items'][1]['when'] is a complex" in result.error.message


def test_extra_keys_that_clash_with_log_record_attributes_travel_as_attributes(
    values: LoadedPlugin, records: list[PluginLogRecord]
) -> None:
    records.clear()
    result = values.check({"mode": "log"})
    assert result.status == "success", result.error
    (record,) = [r for r in records if r.message == "clash"]
    assert record.attributes == {"filename": "/etc/ssh/sshd_config", "module": "sshd", "lineno": 7, "path": "/x"}
