"""Item 4 of issue 10: `--security strict` is judged on what a rule mounts or runs, not on its text.

Each broad grant comes with a narrow `fs:write` grant of the test's own folder, and the probe's check
writes a marker there: the marker proves whether the check ran at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from reglet_sdk.host import Host, PluginLoadError
from tests.adversarial.impostor import impostor_wasm, reglet

pytestmark = pytest.mark.component

ISSUE_EXAMPLES = [
    ("fs:read:/tmp/../**", "its path contains `..`"),
    ("fs:write:/tmp/../**", "its path contains `..`"),
    ("fs:read://etc/**", "fs:read:/etc/**: it grants system configuration under /etc"),
    ("fs:read:/./etc/**", "fs:read:/etc/**: it grants system configuration under /etc"),
    ("exec:/usr/bin/*", "exec:/usr/bin/*: its glob * allows any command"),
    ("exec:/usr/bin/[b]ash", "exec:/usr/bin/[b]ash: its glob [b]ash matches bash, a shell"),
    ("exec:/usr/bin/env", "exec:/usr/bin/env: env is a launcher of other programs"),
    ("network:*.*:1-65535", "network:*.*:1-65535: it allows any port"),
    ("network:*.*:443", "network:*.*:443: its host glob matches any host"),
    ("env:?*", "env:?*: it matches more than one variable name"),
    ("env:**", "env:**: it matches more than one variable name"),
]


@pytest.fixture(scope="module")
def probe() -> Path:
    return impostor_wasm()


def strict_check(
    probe: Path, tmp_path: Path, grant: str, config: dict[str, object]
) -> tuple[Path, CompletedProcess[str]]:
    """Runs the probe in strict mode with `grant` and a writable folder of its own (the marker's)."""
    marker = tmp_path / "out" / "marker"
    marker.parent.mkdir()
    grants = ["--grant", f"fs:write:{marker.parent}/**", "--grant", grant]
    config = {"write": str(marker), **config}
    argv = ["check", str(probe), "--security", "strict", *grants, "--config", json.dumps(config), "--format", "json"]
    return marker, reglet(*argv, store=tmp_path / "store.yaml")


@pytest.mark.parametrize(("grant", "why"), ISSUE_EXAMPLES)
def test_strict_mode_refuses_the_broad_grant_and_the_check_does_not_run(
    probe: Path, tmp_path: Path, grant: str, why: str
) -> None:
    marker, run = strict_check(probe, tmp_path, grant, {})
    assert run.returncode == 2, run.stdout + run.stderr
    assert why in run.stderr and "Traceback" not in run.stderr
    assert run.stdout == "" and not marker.exists()


def test_strict_mode_runs_a_check_with_narrow_grants(probe: Path, tmp_path: Path) -> None:
    marker, run = strict_check(probe, tmp_path, "exec:/usr/bin/id", {"exec": ["/usr/bin/id", "-u"]})
    assert run.returncode == 0, run.stderr
    assert marker.read_text() == "impostor"
    assert json.loads(run.stdout)["data"]["exec"]["exit_code"] == 0


def test_a_manifest_requesting_a_rule_no_build_allows_is_refused_at_load(
    probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The probe forges its Describe answer (fs:write:/tmp/../**) when it can see REGLET_PROBE_FORGE.
    monkeypatch.setenv("REGLET_PROBE_FORGE", "1")
    with Host() as host, pytest.raises(PluginLoadError) as refused:
        host.load(probe, grants=["env:REGLET_PROBE_FORGE"])
    assert "requests a capability no host grants" in str(refused.value)
    assert "'fs:write:/tmp/../**' is refused: its path contains `..`" in str(refused.value)
    with Host() as host:
        assert host.load(probe).requested_rules  # without the forgery it loads
