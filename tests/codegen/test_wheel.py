"""The generator ships in the wheel: an installed SDK, not this checkout, checks an extension's generated/.

One wheel is built per test session (shared by xdist workers under a file lock) and installed with
--no-deps into fresh virtualenvs in a temporary folder. Their dependencies come from this dev
environment through a `.pth` line; the fresh venv's own site-packages come first, so reglet_sdk,
reglet_abi and reglet_codegen are the wheel's. The extension is the host-runtime example, copied
outside the checkout with its codegen.toml, proto/ and generated/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.conftest import REPO

pytestmark = pytest.mark.wheel

# The `codegen` extra: left out of the dependencies of the venv that shows what happens without it.
CODEGEN_EXTRA = ("betterproto2_compiler", "grpc_tools", "grpcio_tools", "ruff")
TIMEOUT = 300  # seconds; a wheel build or a codegen run takes a few


@dataclass(frozen=True)
class Venv:
    """A fresh virtualenv with the wheel installed."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def run(self, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Runs a program of this venv with nothing of the checkout or the dev venv on PATH or PYTHONPATH."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env["PATH"] = os.pathsep.join([str(self.bin), "/usr/bin", "/bin"])
        return subprocess.run(
            [str(self.bin / argv[0]), *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )


def _check(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"


def _make_venv(root: Path, wheel: Path, dependencies: Path) -> Venv:
    """A venv without pip (the dev venv's pip installs into it) whose dependencies are `dependencies`."""
    _check(sys.executable, "-m", "venv", "--without-pip", str(root))
    venv = Venv(root)
    pip = (sys.executable, "-m", "pip", "--python", str(venv.bin / "python"))
    _check(*pip, "install", "-q", "--no-deps", "--no-index", str(wheel))
    purelib = venv.run("python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root)
    # A .pth line is appended to sys.path after the venv's own site-packages; .pth files inside that folder
    # (such as the dev venv's editable install of this checkout) are not processed.
    (Path(purelib.stdout.strip()) / "_dev_dependencies.pth").write_text(f"{dependencies}\n")
    return venv


def _without_codegen_extra(target: Path) -> Path:
    """The dev venv's site-packages, less the `codegen` extra: symlinks to everything else."""
    target.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(CODEGEN_EXTRA):
            (target / entry.name).symlink_to(entry)
    return target


@pytest.fixture(scope="session")
def venvs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Venv, Venv]:
    """(with the codegen extra, without it), built once for all xdist workers."""
    # Under xdist every worker's base temp is a folder of the session's; without it, the session's own.
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "reglet-wheel"
    shared.mkdir(exist_ok=True)
    with FileLock(str(shared / "lock")):
        done = shared / "done"
        if not done.exists():
            wheels = shared / "dist"
            build = (sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation")
            _check(*build, "-w", str(wheels), str(REPO))
            (wheel,) = wheels.glob("reglet_sdk-*.whl")
            _make_venv(shared / "full", wheel, Path(sysconfig.get_paths()["purelib"]))
            _make_venv(shared / "bare", wheel, _without_codegen_extra(shared / "bare-deps"))
            done.touch()
    return Venv(shared / "full"), Venv(shared / "bare")


def test_the_wheel_holds_the_generator_and_the_sdk_protos(venvs: tuple[Venv, Venv]) -> None:
    (wheel,) = (venvs[0].root.parent / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "reglet_codegen/driver.py",
        "reglet_codegen/runtime/_rpc.py",
        "reglet_abi/proto/reglet/v1/common.proto",
        "reglet_abi/wit/reglet-abi.wit",
    }
    assert expected <= names


def test_the_installed_packages_are_the_wheels(venvs: tuple[Venv, Venv], tmp_path: Path) -> None:
    full, _ = venvs
    code = "import reglet_abi, reglet_codegen, reglet_sdk; print(reglet_sdk.__file__, reglet_codegen.__file__)"
    result = full.run("python", "-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for path in result.stdout.split():
        assert Path(path).is_relative_to(full.root), f"{path} is not the wheel's"


def test_installed_codegen_checks_an_extension_outside_the_checkout(venvs: tuple[Venv, Venv], extension: Path) -> None:
    full, _ = venvs
    result = full.run("reglet-sdk", "codegen", "--config", "codegen.toml", "--check", cwd=extension)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "generated/ is up to date (14 files).\n"

    edited = extension / "generated" / "python" / "kvdemo_abi" / "kvdemo" / "v1" / "guest.py"
    edited.write_text(edited.read_text() + "# a hand edit\n")
    result = full.run("reglet-sdk", "codegen", "--config", "codegen.toml", "--check", cwd=extension)
    assert result.returncode == 1
    assert "differs: python/kvdemo_abi/kvdemo/v1/guest.py" in result.stderr
    assert "reglet-sdk codegen --config codegen.toml" in result.stderr

    # `python -m reglet_codegen` is the same command: it regenerates, and the check passes again.
    assert full.run("python", "-m", "reglet_codegen", "--config", "codegen.toml", cwd=extension).returncode == 0
    assert full.run("reglet-sdk", "codegen", "--config", "codegen.toml", "--check", cwd=extension).returncode == 0


def test_without_the_codegen_extra_the_command_says_how_to_install_it(
    venvs: tuple[Venv, Venv], extension: Path
) -> None:
    _, bare = venvs
    result = bare.run("reglet-sdk", "codegen", "--config", "codegen.toml", "--check", cwd=extension)
    assert result.returncode == 2
    assert result.stdout == ""
    line, *rest = result.stderr.splitlines()
    assert rest == [], "one line"
    assert line.startswith("reglet-sdk codegen: the generator needs ")
    assert all(f"{name}==" in line for name in ("betterproto2-compiler", "grpcio-tools", "ruff"))
    assert line.endswith("run `pip install 'reglet-sdk[codegen]'`.")
