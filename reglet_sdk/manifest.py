"""The plugin's manifest (name, version, description, requested capabilities, examples), as the guest sees it.

The toolchain reads and validates plugin.yaml (reglet_sdk.toolchain.plugin_yaml) and embeds the
result in the component; inside the component `embedded()` returns it. The port-spec syntax and the
kv operations live here because the guest, the YAML validation and the host's rules all use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reglet_abi._rpc import decode_frame, encode_frame
from reglet_abi.reglet.v1 import (
    GrantSet,
    KvOperation,
    Metadata as MetadataMessage,
    PluginExample,
)

MIN_HOST_VERSION = "0.1.0"
"""Oldest host that runs plugins built with this SDK (plugin.yaml's min_host_version may raise it)."""

_PORT_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")
KV_OPERATIONS = {"read": KvOperation.READ, "write": KvOperation.WRITE, "read-write": KvOperation.READ_WRITE}


@dataclass(frozen=True)
class Manifest:
    """The validated contents of plugin.yaml."""

    name: str
    version: str
    description: str = ""
    min_host_version: str = MIN_HOST_VERSION
    capabilities: GrantSet = field(default_factory=GrantSet)
    examples: tuple[PluginExample, ...] = ()

    def to_proto(self) -> MetadataMessage:
        """The manifest as a Metadata message (without the SDK-filled fields)."""
        return MetadataMessage(
            name=self.name,
            version=self.version,
            description=self.description,
            min_host_version=self.min_host_version,
            capabilities=self.capabilities,
            examples=list(self.examples),
        )

    @classmethod
    def from_proto(cls, message: MetadataMessage) -> Manifest:
        """From a Metadata message."""
        return cls(
            name=message.name,
            version=message.version,
            description=message.description,
            min_host_version=message.min_host_version or MIN_HOST_VERSION,
            capabilities=message.capabilities or GrantSet(),
            examples=tuple(message.examples),
        )


# --- inside the component -------------------------------------------------------------------------

_embedded: Manifest | None = None


def embed(frame: str) -> None:
    """Called by the build's entry module with the manifest as a base64 frame."""
    global _embedded
    _embedded = Manifest.from_proto(MetadataMessage.parse(decode_frame(frame)))


def use(manifest: Manifest | None) -> None:
    """Sets the manifest natively (tests, local runs); None clears it."""
    global _embedded
    _embedded = manifest


def embedded() -> Manifest | None:
    """The manifest the plugin was built with (None natively unless `use` set one)."""
    return _embedded


def to_frame(manifest: Manifest) -> str:
    """The manifest as the base64 frame `embed` takes."""
    return encode_frame(bytes(manifest.to_proto()))


PORT_SYNTAX = "use N (1-65535), a range A-B with A <= B, or *"


def port_range(spec: str) -> tuple[int, int] | None:
    """The (low, high) ports of a port spec — N, A-B or * — or None when it is not one."""
    if spec == "*":
        return 1, 65535
    match = _PORT_RANGE.match(spec)
    if not match:
        return None
    low, high = int(match.group(1)), int(match.group(2) or match.group(1))
    return (low, high) if 1 <= low <= high <= 65535 else None
