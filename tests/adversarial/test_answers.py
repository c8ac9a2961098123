"""A plugin's answer cannot crash or stall the host (issue 10, item 6): frames that are not base64,
garbage, wrong wire types, oversized or deeply nested answers become `internal`/`BAD_RESPONSE`,
quickly; large legitimate answers under the cap arrive whole. Run on the built answer probe."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reglet_sdk.host import Host, HostConfig, LoadedPlugin
from reglet_sdk.results import Result
from tests.conftest import COMPILE_CACHE, build_test_plugin

pytestmark = pytest.mark.component

PROBE = Path(__file__).parent / "plugins" / "answer_probe"
CAP = 8 << 20  # HostConfig.max_response_bytes by default
QUICK = 10.0  # generous: before the fix, 3.2 MB of unknown fields took over a minute of host CPU


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with Host(HostConfig(timeout=30.0, cache_dir=COMPILE_CACHE)) as host:
        yield host


@pytest.fixture(scope="module")
def probe(host: Host) -> LoadedPlugin:
    return host.load(build_test_plugin(PROBE))


def timed_check(plugin: LoadedPlugin, config: dict[str, Any]) -> tuple[Result, float]:
    started = time.monotonic()
    result = plugin.check(config)
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    ("answer", "size", "says"),
    [
        ("not-base64", 0, "not standard base64"),
        ("garbage", 100_000, "not a valid CheckResponse"),
        ("wrong-wire-type", 0, "CheckResponse.result: has wire type varint"),
        ("wrong-nested-type", 0, "CheckResponse.result.status: has wire type length-delimited"),
        ("bad-utf8", 0, "CheckResponse.result.message"),
        ("bad-big-int", 0, "invalid literal for int()"),
        ("deep", 2_000, "nested more than 128 levels deep"),
        ("large-string", CAP + 1024, "over this host's limit of 8388608 bytes"),
    ],
)
def test_a_bad_answer_is_a_bad_response_error(probe: LoadedPlugin, answer: str, size: int, says: str) -> None:
    result, elapsed = timed_check(probe, {"answer": answer, "size": size})

    assert elapsed < QUICK
    assert result.status == "error" and result.error is not None
    assert (result.error.type, result.error.code) == ("internal", "BAD_RESPONSE"), result.error
    assert "answer-probe gave an answer the host cannot accept" in result.error.message
    assert says in result.error.message
    assert probe.check({"answer": "normal"}).data == {"answer": "normal"}  # the host survives


def test_unknown_fields_are_skipped_in_linear_time(probe: LoadedPlugin) -> None:
    result, elapsed = timed_check(probe, {"answer": "unknown-fields", "size": 3_200_000})

    assert elapsed < QUICK
    assert (result.status, result.message) == ("success", "after unknown fields")


def test_a_large_legitimate_answer_just_under_the_cap_arrives_whole(probe: LoadedPlugin) -> None:
    size = CAP - (64 << 10)
    result, elapsed = timed_check(probe, {"answer": "large", "size": size})

    assert elapsed < 2 * QUICK
    assert result.status == "success", result.error
    items = result.data["items"]
    assert isinstance(items, list) and len(items) == size // 14  # 14 bytes per encoded item
    assert set(items) == {"abcdefghij"}
    big, _ = timed_check(probe, {"answer": "large-string", "size": size})
    assert big.status == "success" and len(str(big.data["blob"])) == size


def test_the_answer_cap_is_the_hosts_setting(probe: LoadedPlugin) -> None:
    with Host(HostConfig(cache_dir=COMPILE_CACHE, max_response_bytes=1 << 20)) as small:
        plugin = small.load(probe.path)
        refused = plugin.check({"answer": "large-string", "size": 2 << 20})
        accepted = plugin.check({"answer": "large-string", "size": 512 << 10})
    assert refused.error is not None and refused.error.code == "BAD_RESPONSE"
    assert "limit of 1048576 bytes" in refused.error.message
    assert accepted.status == "success"
