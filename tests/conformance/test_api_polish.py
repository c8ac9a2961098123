"""Issue 12's API polish on a built component: exports, the base check signature with `config.load`,
the per-record-type DNS helpers against a local DNS server, and Result.is_failure / is_error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reglet_sdk.host import Host, HostConfig, LoadedPlugin
from reglet_sdk.testing.servers import LOCALHOST, dns_server
from tests.conftest import COMPILE_CACHE, TEST_PLUGINS, build_test_plugin

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with Host(HostConfig(timeout=20, cache_dir=COMPILE_CACHE)) as running:
        yield running


def load(host: Host, grants: list[str]) -> LoadedPlugin:
    return host.load(build_test_plugin(TEST_PLUGINS / "api_polish"), grants=grants)


def names(value: object) -> list[str]:
    """A list answer, sorted (an RRset has no order)."""
    assert isinstance(value, list), value
    return sorted(str(item) for item in value)


def test_record_type_helpers_answer_from_the_server(host: Host) -> None:
    with dns_server() as server:
        grants = ["network:*.example.test:53", "network:example.test:53", f"network:{LOCALHOST}:{server.port}"]
        example = load(host, grants).check({"name": "example.test", "nameserver": server.nameserver})
        www = load(host, grants).check({"name": "www.example.test", "nameserver": server.nameserver})
    assert example.status == "success", example.error
    assert names(example.data["txt"]) == ["part one part two", "v=spf1 -all"]
    assert names(example.data["ns"]) == ["ns1.example.test", "ns2.example.test"]  # names lose the final dot
    assert example.data["mx"] == ["10 mail.example.test", "20 backup.example.test"]  # by preference
    assert str(example.data["cname"]).startswith("not found: ")
    assert www.data["cname"] == ["example.test"]
    assert example.is_failure is False and example.is_error is False


def test_error_subclasses_are_importable_from_the_package(host: Host) -> None:
    with dns_server() as server:
        only_server = load(host, [f"network:{LOCALHOST}:{server.port}"])
        result = only_server.check({"name": "example.test", "nameserver": server.nameserver})
    assert result.status == "success", result.error
    assert {result.data[kind] for kind in ("cname", "txt", "ns", "mx")} == {
        "denied: network:example.test:53"
    }  # the code names the missing rule


def test_failure_and_error_are_told_apart(host: Host) -> None:
    plugin = load(host, [])
    failed = plugin.check({"name": "x", "nameserver": "127.0.0.1:53", "mode": "fail"})
    assert failed.is_failure and not failed.is_error and not failed.passed
    broken = plugin.check({"nameserver": "127.0.0.1:53"})  # `name` missing: config.load refuses it
    assert broken.is_error and not broken.is_failure
    assert broken.error is not None and "name" in broken.error.message
