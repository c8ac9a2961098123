"""The smallest real Reglet plugin: a typed config, its schema, and a check that logs and returns data."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from reglet_sdk import Metadata, Result, config, plugin, schema
from reglet_sdk.context import Context

log = logging.getLogger("hello")


@dataclass
class HelloConfig:
    """What to greet and how."""

    name: str = field(metadata={"description": "Who to greet."})
    greeting: Literal["hello", "hi", "good day"] = field(default="hello", metadata={"description": "The word used."})
    times: int = field(
        default=1,
        metadata={"description": "How often to repeat the greeting (1-10).", "schema": {"minimum": 1, "maximum": 10}},
    )
    require_name_capitalised: bool = field(
        default=False, metadata={"description": "Fail the check when the name does not start with a capital."}
    )


class Hello(plugin.Plugin):
    """Greets; fails when asked to require a capitalised name and the name is not."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is (must agree with plugin.yaml)."""
        return Metadata(name="hello", version="1.0.0", description="Greets someone and reports what it was told.")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of HelloConfig."""
        return schema.generate_schema(HelloConfig)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Greets; the data says what was greeted and how long the greeting is."""
        settings = config.load(HelloConfig, cfg)
        if not 1 <= settings.times <= 10:
            return Result.failure(f"times must be between 1 and 10, not {settings.times}", {"times": settings.times})
        message = " ".join([f"{settings.greeting.capitalize()}, {settings.name}!"] * settings.times)
        log.info("greeting %s", settings.name, extra={"person": settings.name, "times": settings.times})
        data = {"greeting": message, "name": settings.name, "length": len(message), "request_id": ctx.request_id}
        if settings.require_name_capitalised and not settings.name[:1].isupper():
            return Result.failure(f"{settings.name!r} does not start with a capital letter", data)
        return Result.success(message, data)


plugin.register(Hello())
