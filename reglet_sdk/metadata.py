"""What a plugin says about itself: `Metadata`, returned by `Plugin.describe`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metadata:
    """A plugin's name, version and description.

    The SDK adds the rest of the manifest when the host asks: the capabilities requested in
    plugin.yaml, the config schema from `Plugin.schema`, and the SDK, ABI and minimum host versions.
    `name` and `version` must agree with plugin.yaml.
    """

    name: str
    version: str
    description: str = ""
