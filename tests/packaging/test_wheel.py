"""The built wheel works on its own: installed into a clean virtual environment, from another directory.

The wheel is built once (``uv build``, hatchling from the package index or uv's cache), then for each
Python the machine has (3.11, and 3.12 and 3.13 where found) installed with the locked dependencies
into a fresh environment; ``attrition invoice`` writes a PDF (templates, fonts and catalogs come from the
package) and ``attrition serve`` on the embedded default loads the bundled samples and answers.
The environment of each command is reduced to PATH and HOME, so nothing of the checkout is importable.
"""

from __future__ import annotations

import glob
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx2
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "contracts" / "wedding-block-cliff.yaml"
PYTHONS = ("3.11", "3.12", "3.13")


def interpreter(version: str) -> str | None:
    """A Python ``version`` on this machine: the one running the tests, a pyenv install, or on PATH
    (pyenv's shims on PATH may refuse a version that is not selected, so its installs come first)."""
    if sys.version_info[:2] == tuple(int(part) for part in version.split(".")):
        return sys.executable
    pyenv = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    if pyenv:
        return pyenv[-1]
    found = shutil.which(f"python{version}")
    if found and "/shims/" not in found:
        return found
    return None


def run(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The built wheel and the locked run-time requirements (no development tools)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(out), str(REPO)], check=True, capture_output=True
    )
    requirements = out / "requirements.txt"
    exported = run(
        ["uv", "export", "--project", str(REPO), "--frozen", "--no-dev", "--no-hashes", "--no-emit-project"]
    )
    requirements.write_text(exported.stdout)
    (built,) = out.glob("attrition-*.whl")
    return built, requirements


def clean_environment(venv: Path, **extra: str) -> dict[str, str]:
    return {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), **extra}


@pytest.mark.parametrize("version", PYTHONS)
def test_the_installed_wheel_writes_an_invoice_and_serves_from_another_directory(
    version: str, wheel: tuple[Path, Path], tmp_path: Path
) -> None:
    python = interpreter(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine")
    built, requirements = wheel
    venv = tmp_path / "venv"
    run(["uv", "venv", "--quiet", "--python", python, str(venv)])
    target = str(venv / "bin" / "python")
    run(["uv", "pip", "install", "--quiet", "--python", target, "-r", str(requirements), str(built)])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = clean_environment(venv, ATTRITION_DATA_DIR=str(tmp_path / "data"))

    where = subprocess.run(
        ["python", "-c", "import app; print(app.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(venv)), where  # the installed package, not the checkout

    invoice = subprocess.run(
        ["attrition", "invoice", str(SAMPLE), "--lang", "fr", "--out", "x.pdf"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert invoice.returncode == 0, invoice.stderr
    assert (elsewhere / "x.pdf").read_bytes().startswith(b"%PDF-")

    key = serve_and_list(venv, elsewhere, env, tmp_path / "server.log")
    assert key.startswith("atk_")


def serve_and_list(venv: Path, cwd: Path, env: dict[str, str], log: Path) -> str:
    """Start the installed ``attrition serve``; check /healthz and that the printed key lists the samples."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as errors:
        server = subprocess.Popen(
            ["attrition", "serve", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
    try:
        assert server.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_pump, args=(server.stdout, lines), daemon=True).start()
        key = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"serve exited with {server.returncode}:\n{log.read_text()}")
            try:
                line = lines.get(timeout=0.2)
                if line.startswith("api key: "):
                    key = line.removeprefix("api key: ").strip()
            except queue.Empty:
                pass
            if key and _healthy(base):
                break
        else:
            pytest.fail(f"serve did not answer on {base}/healthz with a key printed:\n{log.read_text()}")
        listed = httpx2.get(
            f"{base}/api/v1/contracts", headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        assert listed.status_code == 200
        assert listed.json()["total"] == 17  # the samples bundled in the wheel
        return key
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


def _pump(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def _healthy(base: str) -> bool:
    try:
        return httpx2.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx2.TransportError:
        return False
