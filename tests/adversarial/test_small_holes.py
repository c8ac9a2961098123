"""Issue 10, item 9: IPv4-in-IPv6 addresses, grant order, recursion traps, wrong worlds, bad CA bundles.

- The SSRF filter blocks the IPv4-compatible range ::/96 (deprecated, no legitimate use) and 6to4
  (2002::/16) and Teredo (2001::/32) addresses whose embedded IPv4 address is a blocked one.
- Whether a blocked address may be reached depends on whether ANY granting rule names it, never on
  which rule came first.
- A recursion that exhausts the WebAssembly stack, a component built for another world and a CA
  bundle that holds no certificate each get one clear paragraph, not a traceback.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from reglet_sdk.host import Host, HostConfig, NetworkSettings
from reglet_sdk.host.net.guard import blocked_class
from reglet_sdk.testing.servers import LOCALHOST, tcp_listener
from reglet_sdk.toolchain import component_spec, inspect_plugin
from reglet_sdk.toolchain.componentize import build_cached
from tests.adversarial.leaks_support import cli, probe_wasm, raw_controls
from tests.conformance.test_host_runtime_example import load_example
from tests.conftest import COMPILE_CACHE, COMPONENT_CACHE, REPO_EXAMPLES

pytestmark = pytest.mark.component


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("::7f00:1", "IPv4-compatible"),  # ::127.0.0.1
        ("::a00:1", "IPv4-compatible"),  # ::10.0.0.1
        ("::808:808", "IPv4-compatible"),  # ::8.8.8.8: the whole deprecated range
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("2002:7f00:1::", "6to4 (embedding the loopback address 127.0.0.1)"),
        ("2002:a9fe:a9fe::1", "6to4 (embedding the link-local (cloud metadata) address 169.254.169.254)"),
        ("2001:0:808:808::80ff:fffe", "Teredo (embedding the loopback address 127.0.0.1)"),  # client 127.0.0.1
        ("2001:0:a00:1::f7f7:f7f7", "Teredo (embedding the private (RFC 1918) address 10.0.0.1)"),  # server
        ("64:ff9b:1::a00:1", "local-use NAT64"),
        ("2002:808:808::1", ""),  # 6to4 of a public address
        ("2001:0:808:808::f7f7:f7f7", ""),  # Teredo, public server and client (8.8.8.8)
        ("2606:4700::1111", ""),
    ],
)
def test_ipv4_embedding_ranges(address: str, kind: str) -> None:
    found = blocked_class(ipaddress.ip_address(address))
    assert found.startswith(kind) if kind else found == ""


@pytest.mark.parametrize("address", ["::127.0.0.1", "::10.0.0.1", "2002:7f00:1::", "2001:0:808:808::80ff:fffe"])
def test_a_plugin_cannot_reach_a_blocked_ipv4_through_an_ipv6_form(address: str, tmp_path: Path) -> None:
    with Host(HostConfig(cache_dir=COMPILE_CACHE)) as host:
        result = host.load(probe_wasm(), grants=["network:*:*"]).check({"mode": "tcp", "host": address, "port": 9})
    assert result.data["code"] == "SSRF_BLOCKED" and result.data["connected"] is False, result.data


def test_the_ssrf_exemption_does_not_depend_on_grant_order(tmp_path: Path) -> None:
    with tcp_listener() as listener:
        config = json.dumps({"mode": "tcp", "host": LOCALHOST, "port": listener.port})
        explicit = f"network:{LOCALHOST}:{listener.port}"
        outcomes = []
        for grants in (["network:*:*", explicit], [explicit, "network:*:*"]):
            flags = [flag for rule in grants for flag in ("--grant", rule)]
            run = cli("check", str(probe_wasm()), "--config", config, *flags, "--format", "json", store=tmp_path / "g")
            outcomes.append(json.loads(run.stdout)["data"])
        assert listener.counter.connections == 2
    assert [o["connected"] for o in outcomes] == [True, True], outcomes


def test_a_recursion_trap_is_explained(tmp_path: Path) -> None:
    config = json.dumps({"mode": "recurse", "depth": 1_000_000})
    run = cli("check", str(probe_wasm()), "--config", config, "--grant", "env:NONE", store=tmp_path / "g")
    first = run.stdout.splitlines()[0]
    assert run.code == 2 and raw_controls(run.stdout) == []
    assert first.startswith(b"ERROR leaks-probe: the plugin exhausted its call stack and was stopped: its recursion")
    assert b"  error: panic [STACK_OVERFLOW]" in run.stdout
    with Host(HostConfig(cache_dir=COMPILE_CACHE)) as host:  # and the host carries on
        plugin = host.load(probe_wasm())
        trapped = plugin.check({"mode": "recurse", "depth": 1_000_000})
        assert trapped.error is not None and trapped.error.code == "STACK_OVERFLOW"
        assert plugin.check({"mode": "result"}).status == "success"


FORKED_WIT = """package reglet:abi@0.1.0;

interface plugin {
  describe: func(request: u32) -> u32;
  schema: func(request: u32) -> u32;
  check: func(request: u32) -> u32;
}

world forked {
  export plugin;
}
"""

FORKED_APP = """from wit_world import exports


class Plugin(exports.Plugin):
    def describe(self, request: int) -> int:
        return request

    def schema(self, request: int) -> int:
        return request

    def check(self, request: int) -> int:
        return request
"""


def forked_wasm() -> Path:
    """A component exporting reglet:abi/plugin@0.1.0 from a forked WIT: same names, other signatures."""
    key = hashlib.sha256((FORKED_WIT + FORKED_APP).encode()).hexdigest()[:24]
    target = COMPONENT_CACHE / f"forked-{key}.wasm"
    COMPONENT_CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(COMPONENT_CACHE / "forked.lock")):
        if not target.exists():
            work = COMPONENT_CACHE / f"forked-{key}"
            (work / "wit").mkdir(parents=True, exist_ok=True)
            (work / "app").mkdir(exist_ok=True)
            (work / "wit" / "abi.wit").write_text(FORKED_WIT, encoding="utf-8")
            (work / "app" / "app.py").write_text(FORKED_APP, encoding="utf-8")
            componentize = Path(sys.executable).parent / "componentize-py"
            command = [str(componentize), "-d", "wit", "-w", "forked", "componentize", "-p", "app", "app"]
            subprocess.run([*command, "-o", str(target)], cwd=work, check=True, capture_output=True, timeout=300)
    return target


def kv_world_wasm() -> Path:
    """The host-runtime example's plugin: built for a world that also imports kvdemo:kv/kv."""
    example = load_example()
    with FileLock(str(COMPONENT_CACHE / "inventory.lock")):
        source = inspect_plugin(REPO_EXAMPLES / "host_runtime" / "plugin")
        return build_cached(component_spec(source, example.KV_EXTENSION), COMPONENT_CACHE)


@pytest.mark.parametrize(
    ("component", "reason"),
    [
        (
            forked_wasm,
            b"exports reglet:abi/plugin@0.1.0, but not the one this host speaks: its `describe` is "
            b"func(request: u32) -> u32, not func(request: string) -> string.",
        ),
        (kv_world_wasm, b"this host cannot start the component: component imports instance `kvdemo:kv/kv@0.1.0`"),
    ],
    ids=["forked-wit", "extension-world"],
)
def test_a_component_of_another_world_gets_one_clear_paragraph(
    component: Callable[[], Path], reason: bytes, tmp_path: Path
) -> None:
    wasm = component()
    for command in ("describe", "check"):
        run = cli(command, str(wasm), store=tmp_path / "g")
        assert run.code == 2 and run.stderr.count(b"\n") == 1 and b"Traceback" not in run.stderr, run.stderr
        assert reason in run.stderr and b"reglet-sdk build" in run.stderr


@pytest.mark.parametrize("content", [b"", b"hello, not a certificate\n", b"-----BEGIN CERTIFICATE-----\nAAAA\n"])
def test_a_ca_bundle_without_certificates_is_refused_at_start_up(tmp_path: Path, content: bytes) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(content)
    run = cli("check", str(probe_wasm()), "--ca-bundle", str(bundle), store=tmp_path / "g")
    assert run.code == 2 and run.stderr.count(b"\n") == 1, run.stderr
    assert f"reglet-sdk check: --ca-bundle {bundle} is not a usable CA bundle (".encode() in run.stderr
    with pytest.raises(ValueError, match="is not a usable CA bundle"):  # tls.CaBundleError, before any Host exists
        NetworkSettings(ca_bundle=bundle)
