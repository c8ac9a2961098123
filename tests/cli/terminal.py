"""Running the CLI on a real pseudo-terminal and answering its grant prompts, as a person would."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Mapping, Sequence


def run_answering(
    command: Sequence[str], env: Mapping[str, str], answers: Mapping[bytes, bytes], limit: float = 120
) -> tuple[int, bytes, bytes]:
    """Runs `command` with stdin and stderr on a pty, answering each `... requests RULE ... Allow?` prompt.

    `answers` maps a rule to the line typed (b"a\\n" always, b"r\\n" this run, b"d\\n" deny). Returns the
    exit status, stdout and everything the terminal showed. Bounded: the process is killed after `limit`.
    """
    controller, terminal = pty.openpty()
    process = subprocess.Popen(list(command), stdin=terminal, stdout=subprocess.PIPE, stderr=terminal, env=dict(env))
    os.close(terminal)
    seen = b""
    answered = 0
    deadline = time.monotonic() + limit
    try:
        while process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if not ready:
                continue
            try:
                seen += os.read(controller, 4096)
            except OSError:
                break
            if seen.count(b"Allow?") > answered:
                asked = seen.rsplit(b"requests ", 1)[1].split(b" ", 1)[0]
                os.write(controller, answers[asked])
                answered += 1
        out, _ = process.communicate(timeout=60)
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, out, seen
