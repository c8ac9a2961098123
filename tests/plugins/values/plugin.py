"""Returns the Python values compliance checks naturally produce, and logs with clashing `extra=` keys."""

from __future__ import annotations

import datetime
import enum
import logging
import uuid
from typing import Any

from reglet_sdk import Metadata, Result, plugin
from reglet_sdk.context import Context

log = logging.getLogger("values")


class Severity(enum.Enum):
    HIGH = "high"
    LOW = "low"


class Level(enum.IntEnum):
    THREE = 3


class Values(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="values", version="1.0.0", description="Returns typed values.")

    def schema(self, ctx: Context) -> bytes:
        return b'{"type": "object"}'

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        if cfg.get("mode") == "log":
            # filename, module, lineno and args are LogRecord attributes: stdlib logging refuses them.
            log.warning(
                "clash", extra={"filename": "/etc/ssh/sshd_config", "module": "sshd", "lineno": 7, "path": "/x"}
            )
            return Result.success("logged")
        if cfg.get("mode") == "unconvertible":
            return Result.success("bad", {"outer": {"items": [1, {"when": complex(1, 2)}]}})
        expires = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
        return Result.success(
            "typed",
            {
                "expires": expires,
                "naive": datetime.datetime(2026, 1, 2, 3, 4, 5),
                "offset": expires.astimezone(datetime.timezone(datetime.timedelta(hours=2))),
                "day": datetime.date(2026, 1, 2),
                "at": datetime.time(12, 30),
                "severity": Severity.HIGH,
                "level": Level.THREE,
                "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
                "nested": [{"when": datetime.date(2025, 12, 31), "severity": Severity.LOW}],
            },
        )


plugin.register(Values())
