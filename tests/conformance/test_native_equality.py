"""Every example plugin gives equal Results natively (no build) and as a component in the host."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from reglet_sdk.host import Host, HostConfig, NetworkSettings
from reglet_sdk.testing import NativePlugin, comparable
from reglet_sdk.testing.servers import LOCALHOST, dns_server, http_server, make_ca, smtp_server, tcp_listener
from tests.conftest import COMPILE_CACHE, REPO, REPO_EXAMPLES, build_test_plugin

pytestmark = pytest.mark.component

# example -> a function that starts what the example needs and returns (grants, configs)
Scenario = Callable[[ExitStack, Path], tuple[list[str], list[dict[str, Any]]]]


def hello(stack: ExitStack, tmp: Path) -> tuple[list[str], list[dict[str, Any]]]:
    return [], [{"name": "Ada", "times": 2}, {"name": "ada", "require_name_capitalised": True}, {"nmae": "x"}]


def command(stack: ExitStack, tmp: Path) -> tuple[list[str], list[dict[str, Any]]]:
    return ["exec:/usr/bin/uname", "exec:/usr/bin/false"], [
        {"command": "/usr/bin/uname", "args": ["-s"]},
        {"command": "/usr/bin/false"},
        {"run": "id"},
    ]


def file(stack: ExitStack, tmp: Path) -> tuple[list[str], list[dict[str, Any]]]:
    return [f"fs:read:{REPO}/**"], [
        {"path": str(REPO / "pyproject.toml"), "hash": True},
        {"path": str(REPO / "missing")},
        {"path": "/etc/passwd"},
    ]


def dns(stack: ExitStack, tmp: Path) -> tuple[list[str], list[dict[str, Any]]]:
    server = stack.enter_context(dns_server())
    grants = ["network:example.test:53", "network:nope.example.test:53", f"network:{LOCALHOST}:{server.port}"]
    return grants, [
        {"hostname": "example.test", "record_type": "MX", "nameserver": server.nameserver},
        {"hostname": "nope.example.test", "nameserver": server.nameserver},
    ]


def http(stack: ExitStack, tmp: Path) -> tuple[list[str], list[dict[str, Any]]]:
    server = stack.enter_context(http_server())
    return [f"network:{LOCALHOST}:{server.port}"], [
        {"url": server.url("/ok"), "expected_status": 200},
        {"url": server.url("/redirect/2")},
        {"url": server.url("/large"), "body_preview_length": 0},
    ]


def tcp(stack: ExitStack, tmp: Path) -> tuple[list[str], list[dict[str, Any]]]:
    listener = stack.enter_context(tcp_listener())
    return [f"network:{LOCALHOST}:{listener.port}"], [{"host": LOCALHOST, "port": listener.port}]


def smtp(stack: ExitStack, tmp: Path) -> tuple[list[str], list[dict[str, Any]]]:
    ca = make_ca(tmp)
    server = stack.enter_context(smtp_server(starttls=ca.server_context()))
    return [f"network:localhost:{server.port}"], [{"host": "localhost", "port": server.port}]


def tls_check(stack: ExitStack, tmp: Path) -> tuple[list[str], list[dict[str, Any]]]:
    # Neither host trusts the throw-away CA: the same UNTRUSTED finding with the certificate's data.
    listener = stack.enter_context(tcp_listener(make_ca(tmp).server_context()))
    return [f"network:localhost:{listener.port}"], [
        {"target_host": "localhost", "target_port": 443},  # not granted: the same capability error
        {"target_host": "localhost", "target_port": listener.port},
    ]


VOLATILE = ("_ms", "request_id", "local_addr", "Date")

SCENARIOS: dict[str, Scenario] = {
    "hello": hello,
    "command": command,
    "file": file,
    "dns": dns,
    "http": http,
    "tcp": tcp,
    "smtp": smtp,
    "tls_check": tls_check,
}


def test_every_example_has_a_scenario() -> None:
    examples = {p.parent.name for p in REPO_EXAMPLES.glob("*/plugin.yaml")}
    assert examples == set(SCENARIOS)


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with Host(HostConfig(cache_dir=COMPILE_CACHE, network=NetworkSettings())) as host:
        yield host


@pytest.mark.parametrize("example", sorted(SCENARIOS))
def test_native_and_component_results_are_equal(host: Host, example: str, tmp_path: Path) -> None:
    folder = REPO_EXAMPLES / example
    wasm = build_test_plugin(folder)
    with ExitStack() as stack:
        grants, configs = SCENARIOS[example](stack, tmp_path)
        component = host.load(wasm, grants=grants)
        native = NativePlugin.load(folder, grants=grants)
        for config in configs:
            native_result, component_result = native.check(config), component.check(config)
            # The HTTP Date header may tick over between the two runs.
            assert comparable(native_result, VOLATILE) == comparable(component_result, VOLATILE), config


def test_native_and_component_are_equal_with_a_custom_host_function(monkeypatch: pytest.MonkeyPatch) -> None:
    from reglet_sdk.host.policy import as_policy
    from tests.conformance.test_host_runtime_example import load_example

    monkeypatch.setenv("REGLET_CACHE_DIR", str(COMPILE_CACHE.parent))
    example = load_example()  # puts the example's generated kvdemo_abi on sys.path
    from kvdemo_abi.kvdemo.v1.guest import kv
    from kvdemo_abi.kvdemo.v1.host import kv_transport

    store = {"inventory/kernel": "Linux"}
    grants = ["kv:read:inventory/*", "exec:/usr/bin/uname"]
    folder = example.HERE / "plugin"
    native = NativePlugin.load(
        folder, grants=grants, extra={kv: kv_transport(example.InventoryStore(store, as_policy(grants)))}
    )
    with example.make_host(store) as host:
        component = host.load(example.build()["inventory"], grants=grants)
        for config in ({}, {"key": "inventory/missing"}):
            assert comparable(native.check(config)) == comparable(component.check(config)), config
