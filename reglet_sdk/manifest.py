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

PLUGIN_NAME = re.compile(r"(?=.{1,64}\Z)[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
"""A plugin's name: lower-case words joined by dashes, at most 64 characters. plugin.yaml must use
it, and the host refuses a component that calls itself anything else (the name becomes a logger name
and is shown on terminals)."""

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Characters a terminal, a log reader or an editor acts on instead of showing.

C0 controls (all of them, newline and tab included: a newline starts a line the plugin did not
write), DEL, the C1 controls (U+0080-U+009F; U+009B is an 8-bit CSI to some terminals), the line and
paragraph separators U+2028/U+2029 (line breaks to Python's splitlines and to many viewers), the
bidirectional embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069 (they reorder what
is displayed: "Trojan Source"), and lone surrogates (they cannot be written as UTF-8 at all).
plugin.yaml refuses them in the plugin's text; the host escapes them wherever it shows a plugin's
text (reglet_sdk.host.display).
"""
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
