"""The call context a plugin function receives: deadline, remaining time and request id.

The host passes a `CallContext` with every Describe/Schema/Check call; the SDK turns it into a
`Context` for the author and sends the remaining time back with every host call, so the host never
works past the plugin's deadline.
"""

from __future__ import annotations

import contextvars
import datetime
from dataclasses import dataclass

from reglet_abi.reglet.v1 import CallContext

_current: contextvars.ContextVar[Context | None] = contextvars.ContextVar("reglet_context", default=None)


@dataclass(frozen=True)
class Context:
    """What a plugin knows about the call it is serving."""

    request_id: str = ""
    """Identifier of this invocation (appears in the host's logs)."""
    deadline: datetime.datetime | None = None
    """When the host stops waiting for this call (UTC); None when there is no deadline."""

    @classmethod
    def from_proto(cls, message: CallContext | None, now: datetime.datetime | None = None) -> Context:
        """The context for an incoming call (a timeout without a deadline counts from `now`)."""
        if message is None:
            return cls()
        deadline = message.deadline
        if deadline is None and message.timeout_ms > 0:
            deadline = (now or _utcnow()) + datetime.timedelta(milliseconds=message.timeout_ms)
        return cls(request_id=message.request_id, deadline=deadline)

    def remaining(self) -> datetime.timedelta | None:
        """Time left before the deadline (never negative); None without a deadline."""
        if self.deadline is None:
            return None
        return max(self.deadline - _utcnow(), datetime.timedelta(0))

    @property
    def expired(self) -> bool:
        """True when the deadline has passed."""
        remaining = self.remaining()
        return remaining is not None and remaining <= datetime.timedelta(0)

    def to_proto(self, timeout: datetime.timedelta | None = None) -> CallContext:
        """The CallContext for an outgoing host call, with the remaining time (capped by `timeout`)."""
        remaining = self.remaining()
        if timeout is not None:
            remaining = timeout if remaining is None else min(remaining, timeout)
        timeout_ms = 0 if remaining is None else max(1, int(remaining.total_seconds() * 1000))
        return CallContext(
            deadline=self.deadline,
            timeout_ms=timeout_ms,
            request_id=self.request_id,
            canceled=self.deadline is not None and timeout_ms <= 1 and self.expired,  # one clock read when in time
        )


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def current() -> Context:
    """The context of the call being served (an empty Context outside a call)."""
    return _current.get() or Context()


class serving:  # lower case: used like the function it replaced, `with serving(ctx):`
    """Makes `context` current while a plugin function runs.

    A class rather than a @contextmanager generator: it runs on every call, in a fresh instance each
    time, and a generator-based manager costs several times more there.
    """

    def __init__(self, context: Context) -> None:
        self._context = context
        self._token: contextvars.Token[Context | None] | None = None

    def __enter__(self) -> Context:
        self._token = _current.set(self._context)
        return self._context

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            _current.reset(self._token)
