"""Fixtures shared by the conformance tests that talk TLS to local servers.

`ca` is a throw-away certificate authority for the servers a module starts; `host` is a Host that
trusts it. A module that needs a differently configured Host defines its own `host` fixture, which
takes precedence over this one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reglet_sdk.host import Host, HostConfig, NetworkSettings
from reglet_sdk.testing.servers import LocalCA, make_ca
from tests.conftest import COMPILE_CACHE


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def host(ca: LocalCA) -> Iterator[Host]:
    with Host(HostConfig(cache_dir=COMPILE_CACHE, network=NetworkSettings(ca_bundle=ca.bundle))) as host:
        yield host
