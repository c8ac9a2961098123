"""A guest that proves every rpc crosses the component boundary intact, in both directions.

For every Plugin rpc the host calls, the guest checks it received exactly the populated request,
then calls every Host rpc with a populated request and checks each populated response, and finally
answers with a populated response. The rpc lists come from the generated tables (and so from the
proto files): a new rpc is exercised without anyone writing a case.

The WASI environment variable ROUNDTRIP_MODE switches behaviour:
- "exact" (default): as above;
- "host-raises": every host handler raises; the guest checks each Host rpc answers with an
  `internal`/`HOST_HANDLER_FAILED` error instead of trapping;
- "guest-raises": every Plugin rpc raises, so the host sees `panic` errors with this file's traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from reglet_abi.reglet.v1 import guest, services
from reglet_sdk.testing.messages import populated, rpc_seed


def exercise_host(mode: str) -> None:
    """Calls every Host rpc and checks each answer."""
    for method in services.HOST.methods:
        request = populated(method.request_type, rpc_seed(method, "request"))
        response = getattr(guest.host, method.python_name)(request)
        if mode == "host-raises":
            error = response.error
            if error is None or (error.type, error.code) != ("internal", "HOST_HANDLER_FAILED"):
                raise AssertionError(f"{method.name}: expected a HOST_HANDLER_FAILED error, got {response!r}")
            continue
        expected = populated(method.response_type, rpc_seed(method, "response"))
        if response != expected:
            raise AssertionError(f"{method.name}: guest received {response!r}, expected {expected!r}")


class RoundTrip:
    """Answers every Plugin rpc (looked up by name) as the module docstring describes."""

    def __getattr__(self, python_name: str) -> Callable[[Any], Any]:
        method = services.PLUGIN.method(python_name)

        def answer(request: Any) -> Any:
            mode = os.environ.get("ROUNDTRIP_MODE", "exact")
            if mode == "guest-raises":
                raise ValueError(f"guest-raises mode in {method.name}")
            expected = populated(method.request_type, rpc_seed(method, "request"))
            if request != expected:
                raise AssertionError(f"{method.name}: guest received {request!r}, expected {expected!r}")
            exercise_host(mode)
            return populated(method.response_type, rpc_seed(method, "response"))

        return answer


guest.plugin_slot.serve(RoundTrip())
