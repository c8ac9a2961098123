"""The time a host function may take: the host's deadline for the call caps whatever the plugin asks.

A plugin's `timeout_ms` and `CallContext` (deadline, budget) are requests: they can shorten the time
a host function takes, never lengthen it. The host's deadline for the call (a `time.monotonic()`
instant, known to the call's handlers) is the hard cap.
"""

from __future__ import annotations

import datetime
import time

from reglet_abi.reglet.v1 import CallContext

MINIMUM = 0.001
"""The shortest time handed to a blocking call (0 would mean non-blocking to a socket)."""


def effective_timeout(
    requested_ms: int,
    default: float,
    context: CallContext | None,
    *,
    deadline: float | None,
    cap: float | None = None,
) -> float:
    """Seconds a host function may take: the smallest of the request's timeout (or `default`).

    The others: the context's budget and deadline, `cap`, and the time left before the host's
    `deadline` (None: no call deadline, as when a plugin runs natively).
    """
    limits = [requested_ms / 1000 if requested_ms > 0 else default]
    if cap is not None:
        limits.append(cap)
    if deadline is not None:
        limits.append(deadline - time.monotonic())
    if context is not None:
        if context.timeout_ms > 0:
            limits.append(context.timeout_ms / 1000)
        if context.deadline is not None:
            limits.append((context.deadline - datetime.datetime.now(datetime.UTC)).total_seconds())
    return max(MINIMUM, min(limits))


def seconds_left(until: float) -> float:
    """Seconds from now until `until` (a time.monotonic() instant), at least MINIMUM."""
    return max(MINIMUM, until - time.monotonic())
