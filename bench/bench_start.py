"""Lean start: time to the first 200 from /healthz and idle RSS of `govmedia serve`.

Starts the bot as a user would (`python -m bot serve`, the default SQLite demo) on an empty
database in a fresh directory, then again on the same database (a restart), and prints for
each run: seconds from exec to the first healthy /healthz, and the process's resident memory
after it has been idle for a while (VmRSS from /proc, the bot process only).

    .venv/bin/python bench/bench_start.py [--runs 3] [--idle 5]

Goal (issue 19): ≤ 2 s to the first /healthz and ≤ 80 MB idle RSS, from the first start.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far (load on the machine does not count)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


def one_run(workdir: Path, idle: float) -> tuple[float, float, float]:
    port = free_port()
    env = {**os.environ, "GOVMEDIA_PORT": str(port), "GOVMEDIA_LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=workdir, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not healthy(port):
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "exited")
            time.sleep(0.01)
        first, cpu = time.monotonic() - started, cpu_seconds(proc.pid)
        time.sleep(idle)
        return first, cpu, rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh starts (each then restarted)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before RSS")
    args = parser.parse_args()
    fresh, restart = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            fresh.append(one_run(Path(tmp), args.idle))
            restart.append(one_run(Path(tmp), args.idle))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for label, runs in (("empty database", fresh), ("restart", restart)):
        firsts, cpus, rsses = ([r[i] for r in runs] for i in range(3))
        print(f"{label:15} first /healthz {statistics.median(firsts):.2f} s wall "
              f"(max {max(firsts):.2f}), {statistics.median(cpus):.2f} s CPU, "
              f"idle RSS {statistics.median(rsses):.0f} MB (max {max(rsses):.0f}), "
              f"{len(runs)} runs")


if __name__ == "__main__":
    main()
