"""Errors: the `ErrorDetail` every failure is described with, and the exceptions that carry one.

`ErrorDetail` mirrors the ABI message (and the Go SDK): a type ("network", "timeout", "config",
"panic", "capability", "validation", "internal", "exec", "fs", "memory", ...), a message, a code and optional
details, a wrapped cause, a stack, and the `is_timeout` / `is_not_found` flags. SDK calls that fail
raise a `RegletError` subclass whose `.detail` is that ErrorDetail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reglet_abi.reglet.v1 import ErrorDetail as ErrorDetailMessage


@dataclass
class ErrorDetail:
    """Why something did not succeed."""

    type: str
    message: str
    code: str = ""
    details: dict[str, str] = field(default_factory=dict)
    wrapped: ErrorDetail | None = None
    stack: str = ""
    is_timeout: bool = False
    is_not_found: bool = False

    def __str__(self) -> str:
        """`type: message [code]: wrapped`, as in the Go SDK."""
        text = f"{self.type}: {self.message}"
        if self.code:
            text += f" [{self.code}]"
        if self.wrapped is not None:
            text += f": {self.wrapped}"
        return text

    def to_proto(self) -> ErrorDetailMessage:
        """The ABI message."""
        return ErrorDetailMessage(
            type=self.type,
            message=self.message,
            code=self.code,
            details=dict(self.details),
            wrapped=self.wrapped.to_proto() if self.wrapped is not None else None,
            stack=self.stack,
            is_timeout=self.is_timeout,
            is_not_found=self.is_not_found,
        )

    @classmethod
    def from_proto(cls, message: ErrorDetailMessage) -> ErrorDetail:
        """From the ABI message."""
        return cls(
            type=message.type,
            message=message.message,
            code=message.code,
            details=dict(message.details),
            wrapped=cls.from_proto(message.wrapped) if message.wrapped is not None else None,
            stack=message.stack,
            is_timeout=message.is_timeout,
            is_not_found=message.is_not_found,
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (empty optional parts left out)."""
        out: dict[str, object] = {"type": self.type, "message": self.message}
        if self.code:
            out["code"] = self.code
        if self.details:
            out["details"] = dict(self.details)
        if self.wrapped is not None:
            out["wrapped"] = self.wrapped.to_dict()
        if self.stack:
            out["stack"] = self.stack
        if self.is_timeout:
            out["is_timeout"] = True
        if self.is_not_found:
            out["is_not_found"] = True
        return out


class RegletError(Exception):
    """An SDK operation failed; `detail` says how."""

    def __init__(self, detail: ErrorDetail) -> None:
        super().__init__(str(detail))
        self.detail = detail


class ConfigError(RegletError, ValueError):
    """The plugin's config is missing a field or has a wrong value; `field` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(ErrorDetail(type="config", message=f"config field {field!r} {problem}", code=field))
        self.field = field


class CapabilityError(RegletError, PermissionError):
    """The host refused an operation the plugin was not granted; `detail.code` names the rule needed."""


class HostCallError(RegletError):
    """A host function answered with an error (other than a denied capability)."""


class NetworkError(HostCallError):
    """A network operation failed (refused, unreachable, TLS, SSRF_BLOCKED, ...)."""


class NotFoundError(NetworkError, LookupError):
    """What was looked up does not exist (NXDOMAIN, no records)."""


class ExecError(HostCallError):
    """A command could not be run at all (not a non-zero exit, which is a normal response)."""


class FsError(HostCallError, OSError):
    """A file could not be read (not a regular file, changed while being opened, unreadable, too large)."""


class FsNotFoundError(FsError, FileNotFoundError):
    """Nothing is at a granted path (`except FileNotFoundError` catches it too)."""


class FileTooLargeError(FsError):
    """A file is larger than the bytes read, and the caller did not accept a truncated read."""


class HostTimeoutError(HostCallError, TimeoutError):
    """A host function ran out of time."""


def raise_for_error(error: ErrorDetailMessage | None) -> None:
    """Raises the matching RegletError when a host response carries an error."""
    if error is None:
        return
    detail = ErrorDetail.from_proto(error)
    if detail.type == "capability":
        raise CapabilityError(detail)
    if detail.type == "exec":
        raise ExecError(detail)
    if detail.type == "timeout" or detail.is_timeout:
        raise HostTimeoutError(detail)
    if detail.type == "fs":
        raise FsNotFoundError(detail) if detail.is_not_found else FsError(detail)
    if detail.is_not_found and detail.type == "network":
        raise NotFoundError(detail)
    if detail.type == "network":
        raise NetworkError(detail)
    raise HostCallError(detail)
