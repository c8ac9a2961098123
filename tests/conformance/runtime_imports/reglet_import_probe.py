"""Built into a test component after pre-initialisation: reports every import a call makes at run time.

Each export call is wrapped: an import hook first on sys.meta_path records every module Python had to
look for (one not already imported), and sys.modules before and after shows every module added. The
report goes to stderr as one `REGLET_RUNTIME_IMPORTS <json>` line, which the host logs. Both lists are
empty when the build's pre-initialisation imported everything the call needs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from reglet_abi.reglet.v1 import guest

MARKER = "REGLET_RUNTIME_IMPORTS "


class _Recorder:
    """A meta-path finder that finds nothing and remembers what it was asked for."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        self.searched.append(name)
        return None


_recorder = _Recorder()
sys.meta_path.insert(0, _recorder)
_served = guest.plugin_slot.call


def _call(method: Any, frame: str) -> str:
    before = set(sys.modules)
    del _recorder.searched[:]
    answer = _served(method, frame)
    report = {"searched": list(_recorder.searched), "added": sorted(set(sys.modules) - before)}
    print(MARKER + json.dumps(report), file=sys.stderr)
    return answer


guest.plugin_slot.call = _call  # type: ignore[method-assign]
