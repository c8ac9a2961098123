"""The outcome of a check: `Result` (with its evidence `data`) and the run metadata the SDK fills."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, overload

from reglet_abi.reglet.v1 import Result as ResultMessage, ResultStatus, RunMetadata as RunMetadataMessage
from reglet_sdk.errors import ErrorDetail
from reglet_sdk.jsonvalue import JSON, from_json_object, to_json_object

Status = Literal["success", "failure", "error"]

_STATUS_TO_PROTO: dict[str, ResultStatus] = {
    "success": ResultStatus.SUCCESS,
    "failure": ResultStatus.FAILURE,
    "error": ResultStatus.ERROR,
}
_STATUS_FROM_PROTO: dict[ResultStatus, Status] = {
    ResultStatus.SUCCESS: "success",
    ResultStatus.FAILURE: "failure",
    ResultStatus.ERROR: "error",
}


@dataclass(frozen=True)
class RunMetadata:
    """When and by what a result was produced (filled by the SDK)."""

    start_time: datetime.datetime | None = None
    end_time: datetime.datetime | None = None
    duration_ms: int = 0
    sdk_version: str = ""
    plugin_name: str = ""
    plugin_version: str = ""
    request_id: str = ""

    def to_proto(self) -> RunMetadataMessage:
        """The ABI message."""
        return RunMetadataMessage(
            start_time=self.start_time,
            end_time=self.end_time,
            duration_ms=self.duration_ms,
            sdk_version=self.sdk_version,
            plugin_name=self.plugin_name,
            plugin_version=self.plugin_version,
            request_id=self.request_id,
        )

    @classmethod
    def from_proto(cls, message: RunMetadataMessage) -> RunMetadata:
        """From the ABI message."""
        return cls(
            start_time=message.start_time,
            end_time=message.end_time,
            duration_ms=message.duration_ms,
            sdk_version=message.sdk_version,
            plugin_name=message.plugin_name,
            plugin_version=message.plugin_version,
            request_id=message.request_id,
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (times as RFC 3339 strings)."""
        return {
            "start_time": _iso(self.start_time),
            "end_time": _iso(self.end_time),
            "duration_ms": self.duration_ms,
            "sdk_version": self.sdk_version,
            "plugin_name": self.plugin_name,
            "plugin_version": self.plugin_version,
            "request_id": self.request_id,
        }


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


class _ErrorConstructor(Protocol):
    """The signature of `Result.error(...)` (that is, of `Result.from_error`), so type checkers see it."""

    def __call__(
        self, detail: ErrorDetail, message: str | None = None, data: Mapping[str, Any] | None = None
    ) -> Result: ...


class _ErrorMember:
    """`Result.error(detail)` builds an error result; `result.error` is that result's ErrorDetail."""

    @overload
    def __get__(self, instance: None, owner: type[Result]) -> _ErrorConstructor: ...
    @overload
    def __get__(self, instance: Result, owner: type[Result]) -> ErrorDetail | None: ...
    def __get__(self, instance: Result | None, owner: type[Result]) -> Any:
        if instance is None:
            return owner.from_error
        return instance._error


class Result:
    """The outcome of one check: a status, a message, evidence `data` and, for errors, an ErrorDetail.

    Build one with `Result.success(message, data)`, `Result.failure(message, data)` or
    `Result.error(ErrorDetail(...))`. `data` is a plain dict of JSON values and reaches the host exactly
    (integers stay integers, key order is kept). The SDK fills `timestamp` and `metadata`.
    """

    error = _ErrorMember()

    def __init__(
        self,
        status: Status,
        message: str = "",
        data: Mapping[str, Any] | None = None,
        error: ErrorDetail | None = None,
        timestamp: datetime.datetime | None = None,
        metadata: RunMetadata | None = None,
    ) -> None:
        if status not in _STATUS_TO_PROTO:
            raise ValueError(f"status must be 'success', 'failure' or 'error', not {status!r}")
        self.status: Status = status
        self.message = message
        self.data: dict[str, JSON] = dict(data or {})
        self._error = error
        self.timestamp = timestamp
        self.metadata = metadata

    @classmethod
    def success(cls, message: str = "", data: Mapping[str, Any] | None = None) -> Result:
        """The check ran and the target is compliant."""
        return cls("success", message, data)

    @classmethod
    def failure(cls, message: str = "", data: Mapping[str, Any] | None = None) -> Result:
        """The check ran and the target is not compliant."""
        return cls("failure", message, data)

    @classmethod
    def from_error(
        cls, detail: ErrorDetail, message: str | None = None, data: Mapping[str, Any] | None = None
    ) -> Result:
        """The check could not be carried out (also reachable as `Result.error(detail)`)."""
        if not isinstance(detail, ErrorDetail):
            raise TypeError(f"Result.error takes an ErrorDetail, not {type(detail).__name__}")
        return cls("error", detail.message if message is None else message, data, error=detail)

    @property
    def passed(self) -> bool:
        """True for a success: the check ran and the target is compliant."""
        return self.status == "success"

    @property
    def is_failure(self) -> bool:
        """True for a failure: the check ran and the target is not compliant."""
        return self.status == "failure"

    @property
    def is_error(self) -> bool:
        """True for an error: the check could not be carried out (see `error`)."""
        return self.status == "error"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return (self.status, self.message, self.data, self._error, self.timestamp, self.metadata) == (
            other.status,
            other.message,
            other.data,
            other._error,
            other.timestamp,
            other.metadata,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        parts = [f"status={self.status!r}", f"message={self.message!r}", f"data={self.data!r}"]
        if self._error is not None:
            parts.append(f"error={self._error!r}")
        return f"Result({', '.join(parts)})"

    def to_proto(self) -> ResultMessage:
        """The ABI message (raises JsonConversionError when `data` holds a non-JSON value)."""
        return ResultMessage(
            status=_STATUS_TO_PROTO[self.status],
            message=self.message,
            data=to_json_object(self.data, "data"),
            timestamp=self.timestamp,
            metadata=self.metadata.to_proto() if self.metadata is not None else None,
            error=self._error.to_proto() if self._error is not None else None,
        )

    @classmethod
    def from_proto(cls, message: ResultMessage) -> Result:
        """From the ABI message (an unspecified status reads as error)."""
        status = _STATUS_FROM_PROTO.get(message.status, "error")
        error = ErrorDetail.from_proto(message.error) if message.error is not None else None
        if message.status not in _STATUS_FROM_PROTO and error is None:
            error = ErrorDetail("internal", "the plugin returned a result without a status", code="BAD_RESULT")
        return cls(
            status,
            message.message,
            from_json_object(message.data),
            error,
            message.timestamp,
            RunMetadata.from_proto(message.metadata) if message.metadata is not None else None,
        )

    def to_dict(self) -> dict[str, object]:
        """The JSON form printed by `reglet-sdk check --format json`."""
        return {
            "status": self.status,
            "message": self.message,
            "data": self.data,
            "error": self._error.to_dict() if self._error is not None else None,
            "timestamp": _iso(self.timestamp),
            "metadata": self.metadata.to_dict() if self.metadata is not None else None,
        }
