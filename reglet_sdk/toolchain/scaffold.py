"""`reglet-sdk new NAME`: a plugin folder that builds, and whose tests pass, unchanged.

It holds plugin.py (a typed config dataclass, describe, schema, check), plugin.yaml (manifest and
runnable examples), test_plugin.py (native tests, no build needed) and a README with the commands.
"""

from __future__ import annotations

import re
from pathlib import Path

from reglet_sdk import __version__

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class ScaffoldError(ValueError):
    """The name or the target folder is not usable; the message says why."""


PLUGIN_PY = '''"""{name}: checks that a measured value lies within bounds. Replace the check with your own."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from reglet_sdk import Metadata, Result, config, plugin, schema
from reglet_sdk.context import Context

log = logging.getLogger("{name}")


@dataclass
class {cls}Config:
    """What to check."""

    value: float = field(metadata={{"description": "The measured value."}})
    minimum: float = field(default=0.0, metadata={{"description": "The smallest acceptable value."}})
    maximum: float = field(default=100.0, metadata={{"description": "The largest acceptable value."}})


class {cls}(plugin.Plugin):
    """Succeeds when minimum <= value <= maximum."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is (must agree with plugin.yaml)."""
        return Metadata(name="{name}", version="0.1.0", description="Checks that a value lies within bounds.")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of the config."""
        return schema.generate_schema({cls}Config)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Compares the value with the bounds."""
        settings = config.load({cls}Config, cfg)
        within = settings.minimum <= settings.value <= settings.maximum
        log.info("checked", extra={{"value": settings.value, "within": within}})
        data = {{"value": settings.value, "minimum": settings.minimum, "maximum": settings.maximum, "within": within}}
        if within:
            return Result.success(f"{{settings.value}} is within [{{settings.minimum}}, {{settings.maximum}}]", data)
        return Result.failure(f"{{settings.value}} is outside [{{settings.minimum}}, {{settings.maximum}}]", data)


plugin.register({cls}())
'''

PLUGIN_YAML = """# The manifest of {name}: who it is, what it may ask the host for, and runnable examples.
name: {name}
version: 0.1.0
description: "Checks that a value lies within bounds."
# capabilities:            # what the plugin needs from the host; see reglet-sdk's docs/capabilities.md
#   exec:
#     commands: ["/usr/bin/uname"]
examples:
  - name: within-bounds
    config: {{value: 42}}
    expect:
      status: success
      data: {{within: true}}
  - name: above-the-maximum
    config: {{value: 101, maximum: 100}}
    expect:
      status: failure
      data: {{within: false}}
  - name: missing-value
    config: {{}}
    expect:
      status: error
      error: {{type: config, code: value}}
"""

TEST_PY = '''"""Native tests of {name}: no build, no WebAssembly (reglet_sdk.testing.NativePlugin)."""

from pathlib import Path

from reglet_sdk.testing import NativePlugin

PLUGIN = NativePlugin.load(Path(__file__).parent)


def test_value_within_bounds_succeeds() -> None:
    result = PLUGIN.check({{"value": 42}})
    assert result.status == "success"
    assert result.data["within"] is True


def test_value_outside_bounds_fails() -> None:
    result = PLUGIN.check({{"value": -1}})
    assert result.status == "failure"
    assert result.data["within"] is False


def test_missing_value_is_a_config_error() -> None:
    result = PLUGIN.check({{}})
    assert result.status == "error"
    assert result.error is not None and (result.error.type, result.error.code) == ("config", "value")


def test_schema_requires_the_value() -> None:
    assert PLUGIN.schema()["required"] == ["value"]
'''

README = """# {name}

A Reglet compliance-check plugin, made with `reglet-sdk new` (reglet-sdk {version}).

```sh
pytest                                   # native tests (test_plugin.py), no build needed
reglet-sdk build .                       # -> {name}.wasm
reglet-sdk check {name}.wasm --config '{{"value": 42}}'
reglet-sdk test .                        # builds, then runs the examples in plugin.yaml
```

Edit `plugin.py` (the config dataclass and `check`), list the capabilities it needs in `plugin.yaml`,
and keep `describe()` and `plugin.yaml` agreeing on name and version.
"""


def class_name(name: str) -> str:
    """`tls-expiry` -> `TlsExpiry`."""
    return "".join(part.capitalize() for part in name.split("-"))


def create(name: str, directory: Path | None = None) -> Path:
    """Writes the plugin folder (default ./NAME); refuses to overwrite anything."""
    if not NAME.match(name):
        raise ScaffoldError(f"{name!r} is not a plugin name: use lower-case words joined by dashes, e.g. tls-expiry.")
    target = directory or Path(name)
    if target.exists() and any(target.iterdir()):
        raise ScaffoldError(f"{target} already exists and is not empty; choose another name or --dir.")
    target.mkdir(parents=True, exist_ok=True)
    values = {"name": name, "cls": class_name(name), "version": __version__}
    files = {"plugin.py": PLUGIN_PY, "plugin.yaml": PLUGIN_YAML, "test_plugin.py": TEST_PY, "README.md": README}
    for file_name, template in files.items():
        (target / file_name).write_text(template.format(**values), encoding="utf-8")
    return target
