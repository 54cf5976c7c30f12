"""Load test of the Overview KPI endpoint: 50 concurrent clients on loopback for 30 s with an API token.

    PYTHONPATH=src python benchmarks/web.py [--workspace DIR] [--clients 50] [--seconds 30]
        [--client both|threads|raw|httpx] [--server-src DIR]

``--workspace`` names a workspace (e.g. ``demo-out/workspace`` from ``omnimix demo``); without it the
sample workspace of ``tests/web/sample.py`` is built (1 year, 5,000 people; run from the repository).
The server runs as a separate process (uvicorn, one worker) so client and server do not share a GIL.
Clients cycle through 8 filter combinations (date ranges × channel filters), as dashboard users do.
Three load generators run in turn (``both``): 50 threads with one httpx.Client each, 50 connections on
plain asyncio streams, and one httpx.AsyncClient with 50 coroutines. Each prints requests/s,
p50/p95/p99 latency and errors; the cold (uncached) latency of each combination is measured first.
An answer counts as an error unless it is 200 with ``conversions``, ``revenue`` and ``new_customers``.
``--server-src DIR`` runs the server from another source tree (e.g. ``/work/main/src``, another
branch's code) on the same workspace, to compare two versions under the same machine load; the load
average is printed before and after each run (the machine may be shared).
Target: p95 <= 150 ms, 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

FIELDS = ("conversions", "revenue", "new_customers")


def _complete(body: object) -> bool:
    return isinstance(body, dict) and all(k in body for k in FIELDS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def make_token(ws: Path) -> str:
    from omnimix.web.state import AppState, default_state_url

    st = AppState(default_state_url(ws))
    if st.get_user("bench") is None:
        st.add_user("bench", "bench-password-1", "viewer")
    return st.create_token("bench", "benchmark")[1]


def combos(ws: Path) -> list[str]:
    from omnimix.workspace import Workspace

    con = Workspace.of(ws).connect(read_only=True)
    lo, hi = con.execute("SELECT min(date), max(date) FROM spend").fetchone()  # type: ignore[misc]
    chans = [
        r[0]
        for r in con.execute(
            "SELECT channel FROM spend GROUP BY 1 ORDER BY sum(spend) DESC LIMIT 2"
        ).fetchall()
    ]
    con.close()
    from datetime import timedelta

    ranges = [
        (hi - timedelta(days=29), hi),
        (hi - timedelta(days=89), hi),
        (hi - timedelta(days=179), hi),
        (lo, hi),
    ]
    out = []
    for a, b in ranges:
        out.append(f"/api/v1/kpis?start={a}&end={b}")
        out.append(f"/api/v1/kpis?start={a}&end={b}" + "".join(f"&channel={c}" for c in chans))
    return out


async def load_httpx(
    base: str, token: str, urls: list[str], clients: int, seconds: float
) -> tuple[list[float], int, float]:
    """``clients`` coroutines sharing one httpx.AsyncClient (pool bounded to ``clients`` connections)."""
    lat: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30.0
    ) as client:
        stop = time.perf_counter() + seconds

        async def worker(i: int) -> None:
            nonlocal errors
            n = i
            while time.perf_counter() < stop:
                url = urls[n % len(urls)]
                n += 1
                t0 = time.perf_counter()
                try:
                    r = await client.get(url)
                    ok = r.status_code == 200 and _complete(r.json())
                except httpx.HTTPError:
                    ok = False
                lat.append(time.perf_counter() - t0)
                if not ok:
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        elapsed = time.perf_counter() - t0
    return lat, errors, elapsed


async def load_raw(
    host: str, port: int, token: str, urls: list[str], clients: int, seconds: float
) -> tuple[list[float], int, float]:
    """``clients`` keep-alive HTTP/1.1 connections driven by plain asyncio streams.

    A minimal client (request line + headers out; status, Content-Length and body in, then the body parsed
    as JSON) so that on a small machine the load generator does not cost more CPU than the server it
    measures (httpx spends ~3 ms of CPU per request here, the server ~1 ms).
    """
    import json

    lat: list[float] = []
    errors = 0
    reqs = [
        (
            f"GET {u} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode()
        for u in urls
    ]
    stop = time.perf_counter() + seconds

    async def worker(i: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        n = i
        try:
            while time.perf_counter() < stop:
                req = reqs[n % len(reqs)]
                n += 1
                t0 = time.perf_counter()
                ok = False
                try:
                    writer.write(req)
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = int(head[9:12])
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        if line[:15].lower() == b"content-length:":
                            length = int(line[15:])
                    body = await reader.readexactly(length)
                    ok = status == 200 and _complete(json.loads(body))
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                lat.append(time.perf_counter() - t0)
                if not ok:
                    errors += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    return lat, errors, time.perf_counter() - t0


def load_threads(
    base: str, token: str, urls: list[str], clients: int, seconds: float
) -> tuple[list[float], int, float]:
    """``clients`` threads, each with its own keep-alive ``httpx.Client`` (bounded: one connection each)."""
    import threading

    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        mine: list[float] = []
        bad = 0
        with httpx.Client(
            base_url=base,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30.0,
            limits=httpx.Limits(max_connections=1),
        ) as client:
            n = i
            while time.perf_counter() < stop:
                url = urls[n % len(urls)]
                n += 1
                t0 = time.perf_counter()
                try:
                    r = client.get(url)
                    ok = r.status_code == 200 and _complete(r.json())
                except httpx.HTTPError:
                    ok = False
                mine.append(time.perf_counter() - t0)
                bad += 0 if ok else 1
        with lock:
            lat.extend(mine)
            errors[0] += bad

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, errors[0], time.perf_counter() - t0


def report(name: str, clients: int, seconds: float, lat: list[float], errors: int, elapsed: float) -> bool:
    n = len(lat)
    p50, p95, p99 = (percentile(lat, q) * 1000 for q in (0.50, 0.95, 0.99))
    print(f"[{name}] {clients} clients × {seconds:.0f} s on loopback, GET /api/v1/kpis with a Bearer token")
    print(f"[{name}] requests: {n}  errors: {errors}  throughput: {n / elapsed:.1f} req/s")
    print(f"[{name}] latency ms: p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  max {max(lat) * 1000:.1f}")
    ok = p95 <= 150.0 and errors == 0
    print(f"[{name}] target p95 <= 150 ms and 0 errors: {'MET' if ok else 'NOT MET'}")
    one, five, _ = os.getloadavg()
    print(f"[{name}] load average after the run: {one:.1f} (1 min), {five:.1f} (5 min)")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", type=Path, help="workspace directory (omnimix.toml + warehouse.duckdb)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument(
        "--client",
        choices=("raw", "httpx", "threads", "both"),
        default="both",
        help="load generator: plain asyncio streams, httpx.AsyncClient, or both in turn",
    )
    ap.add_argument("--server-src", type=Path, help="run the server from this source tree (PYTHONPATH)")
    args = ap.parse_args()
    tmp = None
    if args.workspace is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.web.sample
        from tests.web.sample import build_sample_workspace

        tmp = tempfile.TemporaryDirectory(prefix="omnimix-bench-")
        t0 = time.perf_counter()
        ws = build_sample_workspace(Path(tmp.name) / "ws", days=365, users=5000)
        print(f"built sample workspace (365 days, 5,000 people) in {time.perf_counter() - t0:.1f} s")
    else:
        ws = args.workspace.resolve()
    token = make_token(ws)
    urls = combos(ws)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    code = (
        "import sys, uvicorn; from omnimix.web.app import create_app; "
        f"uvicorn.run(create_app(sys.argv[1]), host='127.0.0.1', port={port}, log_level='warning', "
        "access_log=False)"
    )
    env = dict(os.environ)
    if args.server_src is not None:
        env["PYTHONPATH"] = str(args.server_src.resolve())
    server = subprocess.Popen([sys.executable, "-c", code, str(ws)], env=env)
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        cold = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
            for u in urls:
                t0 = time.perf_counter()
                r = c.get(u)
                cold.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
        print(f"workspace: {ws}; server code: {args.server_src or 'this tree'}")
        print(
            f"cold (uncached) KPI latency over {len(urls)} filter combinations: "
            f"median {statistics.median(cold) * 1000:.1f} ms, max {max(cold) * 1000:.1f} ms"
        )
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the run")
        if args.client in ("raw", "both"):
            res = asyncio.run(load_raw("127.0.0.1", port, token, urls, args.clients, args.seconds))
            report("asyncio streams", args.clients, args.seconds, *res)
        if args.client in ("httpx", "both"):
            res = asyncio.run(load_httpx(base, token, urls, args.clients, args.seconds))
            report("httpx.AsyncClient", args.clients, args.seconds, *res)
        if args.client in ("threads", "both"):
            res = load_threads(base, token, urls, args.clients, args.seconds)
            report("httpx.Client × threads", args.clients, args.seconds, *res)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
