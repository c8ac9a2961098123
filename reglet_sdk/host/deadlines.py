"""The time a host function may take: the request's, the call's remaining time and the host's cap."""

from __future__ import annotations

import datetime

from reglet_abi.reglet.v1 import CallContext


def effective_timeout(
    requested_ms: int, default: float, context: CallContext | None, cap: float | None = None
) -> float:
    """Seconds: the smallest of the request's timeout (or `default`), the context's budget and `cap`."""
    limits = [requested_ms / 1000 if requested_ms > 0 else default]
    if cap is not None:
        limits.append(cap)
    if context is not None:
        if context.timeout_ms > 0:
            limits.append(context.timeout_ms / 1000)
        if context.deadline is not None:
            limits.append((context.deadline - datetime.datetime.now(datetime.UTC)).total_seconds())
    return max(0.001, min(limits))
