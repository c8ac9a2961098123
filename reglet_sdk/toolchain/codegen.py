"""`reglet-sdk codegen`: the generator (package `reglet_codegen`) for an SDK or extension project.

The generator's own dependencies (protoc, the betterproto2 compiler, ruff) are the `codegen` extra,
so it is imported only when the command runs; it says which are missing.

Example::

    import sys
    from pathlib import Path
    from reglet_sdk.toolchain.codegen import run_codegen

    status = run_codegen(Path("codegen.toml"), check=True, out=sys.stdout, err=sys.stderr)
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO


def run_codegen(config: Path, *, check: bool, out: TextIO, err: TextIO) -> int:
    """Regenerates (or with `check`, verifies) the generated folder `config` describes.

    Returns 0 when done or up to date, 1 when `check` found differences, 2 when it could not run.
    """
    from reglet_codegen.driver import run

    return run(config, check=check, out=out, err=err)
