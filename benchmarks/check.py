"""One check in a fresh sandbox against the same check run natively in-process."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from benchmarks.measure import Row, median_seconds
from reglet_abi.reglet.v1 import CheckRequest
from reglet_sdk import plugin
from reglet_sdk.host import Host, HostConfig
from reglet_sdk.jsonvalue import to_json_object
from reglet_sdk.log import HostLogHandler
from reglet_sdk.toolchain import default_cache_dir

REPO = Path(__file__).resolve().parent.parent
CONFIG = {"name": "Ada", "times": 3}


def bench_check(wasm: Path) -> list[Row]:
    """`examples/hello`'s check in a fresh sandbox and natively."""
    with Host(HostConfig(cache_dir=default_cache_dir().parent / "compiled")) as host:
        loaded = host.load(wasm)
        assert loaded.check(CONFIG).status == "success"
        in_sandbox = median_seconds(lambda: loaded.check(CONFIG), 30)
    sys.path.insert(0, str(REPO / "examples" / "hello"))
    plugin.unregister()
    import plugin as hello_module  # type: ignore[import-not-found]  # examples/hello/plugin.py, registers Hello

    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, HostLogHandler)]  # no host natively
    adapter = plugin.PluginAdapter(hello_module.Hello())
    request = CheckRequest(config=to_json_object(CONFIG))
    native = median_seconds(lambda: adapter.check(request), 30)
    return [Row("check in a fresh sandbox", in_sandbox, "same check natively", native)]
