"""Load test of the API on loopback: concurrent plan readers while builds and adjustments run.

`execplan serve` runs in a subprocess on a throwaway database (created on the server of
DATABASE_URL, else the embedded one, and dropped afterwards) with the demo project imported and
planned. Then, bounded by a request count and a time limit:
- `--clients` readers GET the plan as fast as they can (each checks it never sees the version go back);
- one client requests a rebuild every `--build-every` seconds (202, or "already running");
- two writers adjust the plan with If-Match (each toggles "sequential" on its own batch); a stale
  version (412) is expected when they race, and they reload and retry.
Afterwards: no request may have failed, every saved version is in the history without gaps, no two
accepted adjustments got the same version, and each writer's last accepted adjustment is what the
stored overrides say — no lost update. As the reference measured in the same run, the same readers
first read the project list (a tiny document) and the plan read is reported as a ratio to it.
With `--big-repo PATH` (a checkout of sqlalchemy, say), a last case: the same plan reads without
builds, then while a build of `--big-tasks` (1,000) tasks from that repository's commit messages
runs again and again (in the service's build worker); the p99 of the second is reported as a
ratio to the first, and no request may fail.
Run from the repository root: `python -m bench.api_load [--clients 50 --requests 5000 --time-limit 60]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from api.cli.demo import write_demo
from bench import build_scale
from bench.scratch import scratch_database
from planner.storage.embedded import database_url


@dataclass
class Tally:
    """What one phase of the run measured."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful reads
    errors: list[str] = field(default_factory=list)
    builds_started: int = 0
    builds_already_running: int = 0
    patches_applied: int = 0
    patches_stale: int = 0
    started: float = field(default_factory=time.perf_counter)
    finished: float = 0.0

    @property
    def seconds(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def served(db_url: str, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`execplan serve` on 127.0.0.1:`port`, its output in `log`."""
    env = {k: v for k, v in os.environ.items() if k != "EXECPLAN_API_TOKEN"}
    env["DATABASE_URL"] = db_url
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
        try:
            yield server
        finally:
            server.terminate()
            server.wait(timeout=30)


async def wait_ready(client: httpx.AsyncClient, server: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if (await client.get("/api/projects")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("api_load: the server did not start (see its log)")
        await asyncio.sleep(0.1)


async def first_plan(client: httpx.AsyncClient, project_id: str) -> dict[str, Any]:
    """Build the project's first plan and return it."""
    path = f"/api/projects/{project_id}/execution-plan"
    await client.post(f"{path}/build")
    async with asyncio.timeout(60):
        while True:
            response = await client.get(path)
            if response.status_code == 200:
                plan: dict[str, Any] = response.json()
                return plan
            await asyncio.sleep(0.05)


async def readers(
    client: httpx.AsyncClient, path: str, clients: int, requests: int, deadline: float, tally: Tally
) -> None:
    """`clients` concurrent readers of `path` until `requests` reads or the deadline."""
    issued = 0

    async def reader() -> None:
        nonlocal issued
        seen = 0
        while issued < requests and time.monotonic() < deadline:
            issued += 1
            start = time.perf_counter()
            try:
                response = await client.get(path)
            except httpx.HTTPError as error:
                tally.errors.append(f"GET {path}: {type(error).__name__}")
                continue
            if response.status_code != 200:
                tally.errors.append(f"GET {path}: {response.status_code} {response.text[:200]}")
                continue
            tally.latencies.append(time.perf_counter() - start)
            version = int(response.headers.get("etag", '"0"').strip('"'))
            if version < seen:
                tally.errors.append(f"GET {path}: version went back from {seen} to {version}")
            seen = max(seen, version)

    await asyncio.gather(*(reader() for _ in range(clients)))


async def rebuilder(
    client: httpx.AsyncClient, project_id: str, every: float, stop: asyncio.Event, tally: Tally
) -> None:
    while not stop.is_set():
        response = await client.post(f"/api/projects/{project_id}/execution-plan/build")
        if response.status_code != 202:
            tally.errors.append(f"POST build: {response.status_code} {response.text[:200]}")
        elif response.json()["already_running"]:
            tally.builds_already_running += 1
        else:
            tally.builds_started += 1
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def adjuster(
    client: httpx.AsyncClient, project_id: str, batch_id: int, stop: asyncio.Event, tally: Tally
) -> tuple[list[int], bool | None]:
    """Toggle `sequential` on one batch until stopped; returns accepted versions and the last value set."""
    url = f"/api/projects/{project_id}/execution-plan"
    versions: list[int] = []
    last: bool | None = None
    wanted = True
    while not stop.is_set():
        current = await client.get(url)
        patch = {"batch_overrides": [{"batch_id": batch_id, "sequential": wanted}]}
        response = await client.patch(url, json=patch, headers={"If-Match": current.headers["etag"]})
        if response.status_code == 200:
            versions.append(response.json()["version"])
            last, wanted = wanted, not wanted
            tally.patches_applied += 1
        elif response.status_code == 412:
            tally.patches_stale += 1
        else:
            tally.errors.append(f"PATCH: {response.status_code} {response.text[:200]}")
        await asyncio.sleep(0.01)
    return versions, last


async def big_builds(client: httpx.AsyncClient, project_id: str, stop: asyncio.Event, tally: Tally) -> int:
    """Build the big project again and again until stopped; returns how many builds finished."""
    path = f"/api/projects/{project_id}/execution-plan"
    finished = 0
    while not stop.is_set():
        before = await client.get(path)
        version = before.json()["version"] if before.status_code == 200 else 0
        response = await client.post(f"{path}/build")
        if response.status_code != 202:
            tally.errors.append(f"POST big build: {response.status_code} {response.text[:200]}")
            return finished
        tally.builds_started += 1
        while not stop.is_set():
            current = await client.get(path)
            if current.status_code == 200 and current.json()["version"] > version:
                finished += 1
                break
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
    return finished


async def big_build_case(
    client: httpx.AsyncClient, args: argparse.Namespace, plan_path: str
) -> tuple[Tally, Tally, int]:
    """Plan reads without builds, then the same reads while a build of `args.big_tasks` tasks
    (real commit messages of `args.big_repo`, as bench.build_scale makes them) runs."""
    texts = build_scale.messages(args.big_repo, "HEAD", args.big_tasks)
    document = build_scale.task_file(args.big_repo.resolve(), texts, "real")
    big_id = (await client.put("/api/projects", json=document)).json()["id"]
    quiet, busy = Tally(), Tally()
    deadline = time.monotonic() + args.time_limit
    await readers(client, plan_path, args.clients, args.requests, deadline, quiet)
    quiet.finished = time.perf_counter()
    stop = asyncio.Event()
    busy.started = time.perf_counter()
    building = asyncio.create_task(big_builds(client, big_id, stop, busy))
    await asyncio.sleep(1.0)  # the build is under way
    deadline = time.monotonic() + args.time_limit
    await readers(client, plan_path, args.clients, args.requests, deadline, busy)
    busy.finished = time.perf_counter()
    stop.set()
    finished = await building
    return quiet, busy, finished


def check_history(db_url: str, project_id: str, accepted: list[int], tally: Tally) -> int:
    """Every saved version is in the history without gaps, accepted adjustments got distinct
    versions that are all there, and the stored plan is the latest; returns how many were saved."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT version FROM execution_plan_history WHERE project_id = %s ORDER BY version", (project_id,)
        ).fetchall()
        stored = conn.execute(
            "SELECT (metadata -> 'execution_plan' ->> 'version')::int FROM projects WHERE id = %s",
            (project_id,),
        ).fetchone()
    versions = [row[0] for row in rows]
    if versions != list(range(1, len(versions) + 1)):
        tally.errors.append(f"the history has gaps: {versions}")
    if len(set(accepted)) != len(accepted) or not set(accepted) <= set(versions):
        tally.errors.append("two adjustments got the same version, or one is missing from the history")
    if stored is None or not versions or stored[0] != versions[-1]:
        tally.errors.append("the stored plan is not the latest version of the history")
    return len(versions)


async def settled_plan(client: httpx.AsyncClient, path: str, quiet: float = 1.0) -> dict[str, Any]:
    """The plan once its version has not changed for `quiet` seconds (the last build has finished)."""
    version, since = -1, time.monotonic()
    async with asyncio.timeout(60):
        while True:
            plan: dict[str, Any] = (await client.get(path)).json()
            if plan["version"] != version:
                version, since = plan["version"], time.monotonic()
            elif time.monotonic() - since >= quiet:
                return plan
            await asyncio.sleep(0.1)


async def run(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="execplan-load-"))
    spec = write_demo(folder)
    document = json.loads(spec.read_text())
    document["project"]["repo_path"] = str((spec.parent / document["project"]["repo_path"]).resolve())
    port = free_port()
    limits = httpx.Limits(max_connections=args.clients + 8, max_keepalive_connections=args.clients + 8)
    reference, tally = Tally(), Tally()
    with (
        scratch_database(args.database_url or database_url()) as db_url,
        served(db_url, port, folder / "serve.log") as server,
    ):
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
            await wait_ready(client, server, 60)
            project_id = (await client.put("/api/projects", json=document)).json()["id"]
            plan_path = f"/api/projects/{project_id}/execution-plan"
            plan = await first_plan(client, project_id)
            first_batch, last_batch = plan["batches"][0]["batch_id"], plan["batches"][-1]["batch_id"]
            if first_batch == last_batch:
                raise SystemExit("api_load: the demo plan needs two batches for two writers")

            deadline = time.monotonic() + args.time_limit
            await readers(client, "/api/projects", args.clients, args.requests // 5, deadline, reference)
            reference.finished = time.perf_counter()

            stop = asyncio.Event()
            tally.started = time.perf_counter()
            background = asyncio.gather(
                rebuilder(client, project_id, args.build_every, stop, tally),
                adjuster(client, project_id, first_batch, stop, tally),
                adjuster(client, project_id, last_batch, stop, tally),
            )
            deadline = time.monotonic() + args.time_limit
            await readers(client, plan_path, args.clients, args.requests, deadline, tally)
            tally.finished = time.perf_counter()
            stop.set()
            _, (versions_a, last_a), (versions_b, last_b) = await background
            final = await settled_plan(client, plan_path)
            big = await big_build_case(client, args, plan_path) if args.big_repo else None
        saved = check_history(db_url, project_id, versions_a + versions_b, tally)
    stored = final["metadata"].get("overrides", {}).get("stored", {})
    overrides = stored.get("batch_overrides", [])
    sequential = {o["batch_id"]: o["sequential"] for o in overrides if "sequential" in o}
    for batch, last in ((first_batch, last_a), (last_batch, last_b)):
        if last is not None and sequential.get(batch, False) != last:
            tally.errors.append(f"lost update: batch {batch} is not sequential={last}: {sequential}")
    report(args, reference, tally, saved)
    failed = bool(tally.errors or reference.errors)
    if big is not None:
        quiet, busy, finished = big
        print(f"  with a {args.big_tasks}-task build of {args.big_repo.name} running ({finished} finished):")
        for name, phase in (("plan reads, no build", quiet), ("plan reads, big build", busy)):
            print(
                f"    {name:24} {len(phase.latencies):6} ok  p50 {phase.percentile(0.5) * 1000:7.1f} ms  "
                f"p99 {phase.percentile(0.99) * 1000:7.1f} ms  errors {len(phase.errors)}"
            )
        ratio = busy.percentile(0.99) / quiet.percentile(0.99)
        print(f"    p99 with the build / without: {ratio:.2f} (goal: within 3x, no request failed)")
        for error in (quiet.errors + busy.errors)[:10]:
            print(f"    error: {error}")
        failed = failed or bool(quiet.errors or busy.errors) or finished == 0
    return 1 if failed else 0


def report(args: argparse.Namespace, reference: Tally, tally: Tally, saved: int) -> None:
    reads = len(tally.latencies)
    print(
        f"api_load: {args.clients} concurrent clients on loopback, "
        f"at most {args.requests} plan reads and {args.time_limit:.0f}s"
    )
    for name, phase in (("project list (reference)", reference), ("plan reads", tally)):
        print(
            f"  {name:26} {len(phase.latencies):6} ok in {phase.seconds:6.2f}s  "
            f"{len(phase.latencies) / phase.seconds:8.0f} req/s  "
            f"p50 {phase.percentile(0.5) * 1000:7.1f} ms  p99 {phase.percentile(0.99) * 1000:7.1f} ms  "
            f"errors {len(phase.errors)}"
        )
    if reads and reference.latencies:
        ratio = statistics.median(tally.latencies) / statistics.median(reference.latencies)
        print(f"  plan read p50 / project list p50: {ratio:.2f}")
    print(
        f"  during the reads: {tally.builds_started} builds started "
        f"({tally.builds_already_running} reported already running), "
        f"{tally.patches_applied} adjustments applied, {tally.patches_stale} refused as stale (412), "
        f"{saved} plan versions saved"
    )
    for error in (reference.errors + tally.errors)[:10]:
        print(f"  error: {error}")
    print("  result: " + ("FAILED" if tally.errors or reference.errors else "no errors, no lost update"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50, help="concurrent readers (default 50)")
    parser.add_argument("--requests", type=int, default=5000, help="plan reads in all (default 5000)")
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per phase at most (default 60)"
    )
    parser.add_argument("--build-every", type=float, default=0.25, help="seconds between rebuild requests")
    parser.add_argument(
        "--database-url", help="server to create the scratch database on (default: DATABASE_URL)"
    )
    parser.add_argument(
        "--big-repo", type=Path, help="also read plans while a big build of this repository runs (sqlalchemy)"
    )
    parser.add_argument("--big-tasks", type=int, default=1_000, help="tasks of the big build (default 1000)")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
