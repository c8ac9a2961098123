"""A guest that proves every rpc crosses the component boundary intact, in both directions.

For every Plugin rpc the host calls, the guest checks it received exactly the populated request,
then calls every Host rpc with a populated request and checks each populated response, and finally
answers with a populated response. The rpc lists come from the generated tables (and so from the
proto files): a new rpc is exercised without anyone writing a case.

The WASI environment variable ROUNDTRIP_MODE switches behaviour:
- "exact" (default): as above;
- "host-raises": every host handler raises; the guest checks each Host rpc answers with an
  `internal`/`HOST_HANDLER_FAILED` error instead of trapping;
- "guest-raises": every Plugin rpc raises, so the host sees `panic` errors with this file's traceback;
- "large": the guest expects an HttpRequest answer whose body is ROUNDTRIP_LARGE_BYTES of
  `pattern_bytes`, expects an ExecRequest over the host's 1 MiB request limit to be refused with
  INVALID_REQUEST, and answers with an ErrorDetail whose stack is ROUNDTRIP_LARGE_BYTES long.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from reglet_abi.reglet.v1 import ErrorDetail, ExecRequest, HttpRequest, guest, services
from reglet_sdk.testing.messages import pattern_bytes, populated, rpc_seed


def exercise_large_payloads(size: int) -> None:
    """Checks a large host answer arrives whole and an oversized request is refused, not trapped."""
    response = guest.host.http_request(HttpRequest(url="http://large.test/"))
    if response.body != pattern_bytes(size):
        raise AssertionError(f"large body: got {len(response.body)} bytes, expected {size} bytes of the pattern")
    oversized = guest.host.exec_command(ExecRequest(command="echo", args=["a" * (2 << 20)]))
    if oversized.error is None or oversized.error.code != "INVALID_REQUEST":
        raise AssertionError(f"an oversized request was not refused: {oversized.error!r}")


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
            if mode == "large":
                size = int(os.environ["ROUNDTRIP_LARGE_BYTES"])
                exercise_large_payloads(size)
                return method.response_type(error=ErrorDetail(type="large", stack="x" * size))
            expected = populated(method.request_type, rpc_seed(method, "request"))
            if request != expected:
                raise AssertionError(f"{method.name}: guest received {request!r}, expected {expected!r}")
            exercise_host(mode)
            return populated(method.response_type, rpc_seed(method, "response"))

        return answer


guest.plugin_slot.serve(RoundTrip())
