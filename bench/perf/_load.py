"""The load generator: a separate process of closed-loop HTTP/1.1 keep-alive clients.

Why not wrk: it is not installed (and only PyPI/npm are reachable). Why not httpx: on a
2-core machine shared with the server, the client's CPU per request matters, and httpx spends
several times more per request than this loop. Each client here is one persistent connection
(asyncio streams on uvloop) that writes a prebuilt request, reads the status line, headers and
a Content-Length (or chunked) body, and immediately sends the next one: C clients keep exactly
C requests in flight. Bodies are templates: `@N@` becomes the request's sequence number (unique
across all clients, e.g. for externalIds) and `@P@` a project id from `projects`, in turn.

Figures: requests/s = measured requests ÷ wall time from the first measured request to the
last response; latency = write-to-last-byte per request (p50/p90/p99); the client's own CPU
seconds are reported so its share of the 2 cores is visible. Warm-up requests (connection
set-up, pools, caches) are excluded. A response counts as an error unless it is HTTP 200 with
`expect` in it and no `"errors"` key; the first body and the first error are kept.

    python -m bench.perf._load RESULT.json < spec.json   (the parent uses `run(spec)`)
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Spec:
    url: str  # e.g. http://127.0.0.1:8123/graphql
    body: str  # JSON text with @N@ / @P@ placeholders
    token: str = ""
    clients: int = 1
    requests: int = 100
    warmup: int = 10
    max_seconds: float = 60.0  # stop issuing new requests after this (at least `min_requests`)
    min_requests: int = 3
    projects: list[str] = field(default_factory=list)
    expect: str = ""
    start_at: int = 0  # first @N@ value


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    client_cpu: float
    sample: str
    error_sample: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(spec: Spec) -> Result:
    """Run `spec` in a fresh Python process and return its figures (written to a file, so
    nothing else the process prints can get in the way)."""
    with tempfile.TemporaryDirectory(prefix="allot-load-") as tmp:
        result = Path(tmp) / "result.json"
        out = subprocess.run(
            [sys.executable, "-m", "bench.perf._load", str(result)],
            input=json.dumps(spec.__dict__),
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
        if out.returncode != 0 or not result.exists():
            raise RuntimeError(f"load generator failed:\n{out.stderr[-3000:]}")
        return Result(**json.loads(result.read_text()))


class _Conn:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, payload: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, limit=1 << 20
            )
        assert self.reader is not None
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
            body = b"".join(chunks)
        else:
            body = await self.reader.read()
        if headers.get("connection", "").lower() == "close" or (not body and status != 200):
            self.writer.close()
            self.writer = None
        return status, body


def _request(spec: Spec, host: str, path: str, body: str) -> bytes:
    data = body.encode()
    auth = f"Authorization: Bearer {spec.token}\r\n" if spec.token else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\n{auth}Content-Length: {len(data)}\r\n\r\n"
    ).encode() + data


async def _main(spec: Spec) -> dict[str, Any]:
    parts = urlsplit(spec.url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    total = spec.warmup + spec.requests
    counter = iter(range(total))
    latencies: list[float] = []
    errors = 0
    sample = error_sample = ""
    measuring: dict[str, float] = {}

    async def client() -> None:
        nonlocal errors, sample, error_sample
        conn = _Conn(host, port)
        for n in counter:
            if n == spec.warmup:
                measuring["start"] = time.perf_counter()
            elif (
                n > spec.warmup
                and len(latencies) >= spec.min_requests
                and time.perf_counter() - measuring["start"] > spec.max_seconds
            ):
                break
            body = spec.body.replace("@N@", str(spec.start_at + n))
            if spec.projects:
                body = body.replace("@P@", spec.projects[n % len(spec.projects)])
            t0 = time.perf_counter()
            status, data = await conn.request(_request(spec, f"{host}:{port}", path, body))
            elapsed = time.perf_counter() - t0
            text = data.decode(errors="replace")
            ok = status == 200 and spec.expect in text and '"errors"' not in text
            if not ok:
                errors += 1
                error_sample = error_sample or f"HTTP {status}: {text[:2000]}"
            elif not sample:
                sample = text
            if n >= spec.warmup:
                latencies.append(elapsed * 1000)
                measuring["end"] = time.perf_counter()

    cpu = os.times()
    await asyncio.gather(*(client() for _ in range(spec.clients)))
    cpu_end = os.times()
    seconds = measuring.get("end", 0.0) - measuring.get("start", 0.0)
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": seconds,
        "latencies_ms": latencies,
        "client_cpu": (cpu_end.user - cpu.user) + (cpu_end.system - cpu.system),
        "sample": sample,
        "error_sample": error_sample,
    }


def main() -> None:
    spec = Spec(**json.loads(sys.stdin.read()))
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        figures = asyncio.run(_main(spec))
    else:
        figures = uvloop.run(_main(spec))
    Path(sys.argv[1]).write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
