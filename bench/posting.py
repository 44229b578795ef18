"""Posting alone: this checkout against another revision, alternating on one machine.

    bash bench/posting.sh                 # against the last commit (HEAD)
    bash bench/posting.sh f4df53f -r 5    # against any revision, 5 rounds

The other revision is checked out in a temporary git worktree and run by the same
virtual environment (its code first on PYTHONPATH). Each round starts each server
afresh on an empty data directory, warms it up for 3 s, then posts for 10 s with
`bench/lua/post.lua` (16 connections), the two in turn, alternating which goes
first. Prints requests/s and the CPU the whole process tree used per post (gunicorn
master, web workers, embedded Redis) for every round, then the
medians. CPU per post moves less than requests/s when the machine's speed changes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ORIGIN, REPO, process_tree, run_wrk, start_commentsvc  # noqa: E402

POST_ENV = {"BENCH_TARGET": "commentsvc", "BENCH_ORIGIN": ORIGIN, "BENCH_ARTICLE": "/posts"}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> float:
    """User and system CPU of a process tree, in seconds."""
    total = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def one_run(
    label: str, extra_env: dict[str, str], workers: int, duration: float
) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="commentsvc-posting-") as data:
        server, _token = start_commentsvc(label, workers, Path(data), extra_env)
        try:
            run_wrk(server, "post.lua", POST_ENV, 16, 3)
            before = cpu_seconds(server.process.pid)
            measured = run_wrk(server, "post.lua", POST_ENV, 16, duration)
            used = cpu_seconds(server.process.pid) - before
        finally:
            server.stop()
    if measured["non_2xx"] or measured["socket_errors"]:
        raise SystemExit(f"{label}: {measured['non_2xx']} answers were not 2xx")
    return measured["requests"] / measured["seconds"], used * 1000 / measured["requests"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", nargs="?", default="HEAD", help="git revision to compare with")
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument("-d", "--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (bash bench/posting.sh installs it)")

    other = Path(tempfile.mkdtemp(prefix="commentsvc-rev-"))
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet",
                    str(other), args.revision], check=True)  # fmt: skip
    contenders = {args.revision: {"PYTHONPATH": str(other)}, "this checkout": {}}
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    try:
        for round_number in range(args.rounds):
            names = list(contenders)
            for name in names if round_number % 2 == 0 else reversed(names):
                rate, cpu = one_run(name, contenders[name], args.workers, args.duration)
                figures[name].append((rate, cpu))
                print(f"round {round_number + 1}  {name:>14}: {rate:7.1f} posts/s  "
                      f"{cpu:5.2f} ms CPU per post", flush=True)  # fmt: skip
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(other)],
                       check=False)  # fmt: skip
    print()
    base_rate = statistics.median(rate for rate, _cpu in figures[args.revision])
    base_cpu = statistics.median(cpu for _rate, cpu in figures[args.revision])
    for name, runs in figures.items():
        rate = statistics.median(r for r, _c in runs)
        cpu = statistics.median(c for _r, c in runs)
        print(
            f"median  {name:>14}: {rate:7.1f} posts/s ({rate / base_rate - 1:+.0%})  "
            f"{cpu:5.2f} ms CPU per post ({cpu / base_cpu - 1:+.0%})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
