"""Host.FsRead against a hostile plugin, on a built component (issue 12, item 1).

A probe component (plugins/fs_read_probe) sends the FsReadRequests its config lists straight to the
generated host stub. It asks for more than the host's limit, for /dev/zero, /dev/urandom and a FIFO
nothing writes to, for paths with a NUL, relative paths and paths that climb out of the grant with
`..`; and it reads in a loop while the test swaps the granted file, and a granted directory, for
symlinks to a secret outside the grant. The host answers every request, bounded in bytes and time,
and never returns a byte of the secret.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reglet_sdk.host import Host, HostConfig
from reglet_sdk.host.fs import MAX_READ
from tests.conftest import COMPILE_CACHE, build_test_plugin

pytestmark = pytest.mark.component

PROBE = Path(__file__).parent / "plugins" / "fs_read_probe"
SECRET = b"the host's secret\n"
GRANTED = b"granted contents\n"


@pytest.fixture(scope="module")
def probe_wasm() -> Path:
    return build_test_plugin(PROBE)


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with Host(HostConfig(timeout=20.0, cache_dir=COMPILE_CACHE)) as host:
        yield host


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = Path(os.path.realpath(tmp_path))
    (root / "granted").mkdir()
    (root / "outside").mkdir()
    (root / "outside" / "secret").write_bytes(SECRET)
    (root / "granted" / "file").write_bytes(GRANTED)
    return root


def answers(host: Host, wasm: Path, grants: list[str], requests: list[dict[str, Any]], repeat: int = 1) -> Any:
    result = host.load(wasm, grants=grants).check({"requests": requests, "repeat": repeat})
    assert result.status == "success", result.error
    return result.data["answers"]


def test_a_huge_max_bytes_is_capped_at_the_hosts_limit(host: Host, probe_wasm: Path, tree: Path) -> None:
    big = tree / "granted" / "big"
    with big.open("wb") as handle:
        handle.truncate(MAX_READ + (2 << 20))  # sparse: 12 MiB of zeros
    (found,) = answers(host, probe_wasm, [f"fs:read:{big}"], [{"path": str(big), "max_bytes": 2**64 - 1}])
    assert found["error"] is None
    assert (found["size_read"], found["truncated"], found["size"]) == (MAX_READ, True, MAX_READ + (2 << 20))
    assert found["sha256"] == hashlib.sha256(bytes(MAX_READ)).hexdigest()


def test_devices_fifos_and_bad_paths_are_refused_at_once(host: Host, probe_wasm: Path, tree: Path) -> None:
    fifo = tree / "granted" / "pipe"
    os.mkfifo(fifo)
    grants = ["fs:read:/dev/zero", "fs:read:/dev/urandom", f"fs:read:{fifo}", f"fs:read:{tree}/granted/**"]
    cases = [
        ("/dev/zero", ("fs", "NOT_A_REGULAR_FILE")),
        ("/dev/urandom", ("fs", "NOT_A_REGULAR_FILE")),
        (str(fifo), ("fs", "NOT_A_REGULAR_FILE")),
        (f"{tree}/granted/file\0/../../outside/secret", ("validation", "INVALID_REQUEST")),
        ("", ("validation", "INVALID_REQUEST")),
        ("outside/secret", ("capability", "fs:read:outside/secret")),
        (f"{tree}/granted/../outside/secret", ("capability", f"fs:read:{tree}/outside/secret")),
        (f"{tree}/granted/../granted/file", (None, None)),
    ]
    started = time.monotonic()
    found = answers(host, probe_wasm, grants, [{"path": path, "max_bytes": 2**64 - 1} for path, _ in cases])
    assert time.monotonic() - started < 20  # the call's limit: a host blocked on the FIFO would time out
    for (path, expected), got in zip(cases, found, strict=True):
        error = got["error"]
        assert ((error or {}).get("type"), (error or {}).get("code")) == expected, path
        assert got["size_read"] == (len(GRANTED) if error is None else 0), path
    relative = found[5]["error"]["message"]
    assert os.getcwd() not in relative  # the denial names the path as asked, not where the host resolved it


def _swapping(target: Path, replacement: Path, stop: threading.Event, *, directory: bool) -> None:
    """Swaps `target` between its real self and a symlink to `replacement` until `stop` (at most 20 s)."""
    real = target.with_name(target.name + ".real")
    link = target.with_name(target.name + ".link")
    ends = time.monotonic() + 20
    while not stop.is_set() and time.monotonic() < ends:
        if directory:  # a directory cannot be renamed over a link: move it away, then back
            os.rename(target, real)
            link.symlink_to(replacement)
            os.rename(link, target)
            os.unlink(target)
            os.rename(real, target)
        else:
            link.symlink_to(replacement)
            os.rename(link, target)  # atomic: the path always exists
            real.write_bytes(GRANTED)
            os.rename(real, target)


def test_a_symlink_swapped_in_while_reading_never_leaks_the_target(host: Host, probe_wasm: Path, tree: Path) -> None:
    granted = tree / "granted"
    (granted / "sub").mkdir()
    (granted / "sub" / "secret").write_bytes(GRANTED)  # a granted file of the same name as the outside one
    stop = threading.Event()
    swappers = [
        threading.Thread(
            target=_swapping, args=(granted / "file", tree / "outside" / "secret", stop), kwargs={"directory": False}
        ),
        threading.Thread(target=_swapping, args=(granted / "sub", tree / "outside", stop), kwargs={"directory": True}),
    ]
    for thread in swappers:
        thread.start()
    try:
        requests = [{"path": str(granted / "file")}, {"path": str(granted / "sub" / "secret")}]
        found = answers(host, probe_wasm, [f"fs:read:{granted}/**"], requests, repeat=150)
    finally:
        stop.set()
        for thread in swappers:
            thread.join(timeout=30)
    secret = hashlib.sha256(SECRET).hexdigest()
    assert len(found) == 300
    assert not [answer for answer in found if answer["sha256"] == secret]
    allowed = {None, ("capability", f"fs:read:{granted}/file"), ("capability", f"fs:read:{granted}/sub/secret")}
    allowed |= {("fs", "PATH_CHANGED"), ("fs", "NOT_FOUND")}
    kinds = {(a["error"]["type"], a["error"]["code"]) if a["error"] else None for a in found}
    assert kinds <= allowed, kinds
    assert all(a["sha256"] == hashlib.sha256(GRANTED).hexdigest() for a in found if a["error"] is None)
