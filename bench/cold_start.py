"""Cold start: `sms-assistant serve` to a 200 on /healthz, alternated with a bare uvicorn app.

ours: the CLI's `serve` on a migrated temporary SQLite file (the embedded default: the worker,
the sender and the scheduler start in the same process), offline planner.
peer: `python -m uvicorn` serving a one-route FastAPI app that imports nothing of ours.
Each is started from nothing, `--repeats` times, alternating; the clock runs from the spawn to
the first 200 on /healthz.

    .venv/bin/python bench/cold_start.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import Goal, Series, alternate, report

GOAL_SECONDS = 1.5
GOAL_RATIO = 3.0
BARE_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_to_healthy(command: list[str], env: dict[str, str], cwd: Path, port: int) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        with httpx.Client(timeout=0.5) as client:
            while time.perf_counter() - started < 60:
                if process.poll() is not None:
                    raise RuntimeError(process.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
                try:
                    if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        return time.perf_counter() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
        raise RuntimeError("not healthy within 60 s")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main(repeats: int) -> int:
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        work = Path(tmp)
        (work / "bare_app.py").write_text(BARE_APP)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("OPENAI", "LANGSMITH", "LANGCHAIN", "TWILIO", "DATABASE"))
        }
        env.update(
            DATABASE_URL=f"sqlite:///{work / 'assistant.db'}",
            TWILIO_AUTH_TOKEN="bench-token-0123456789",
            ENCRYPTION_KEY="x3Xw4mQ1Yd4xvN0nB6Jc0Ff0yq7rOJq2h5mXnR3t9Ks=",
            LOG_LEVEL="WARNING",
        )
        subprocess.run(
            [str(bin_dir / "sms-assistant"), "migrate"],
            env=env,
            cwd=work,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        ours = Series("sms-assistant serve -> /healthz 200", "s")
        peer = Series("bare uvicorn FastAPI app -> /healthz 200", "s")

        def run_ours() -> None:
            port = free_port()
            command = [str(bin_dir / "sms-assistant"), "serve", "--port", str(port)]
            ours.values.append(time_to_healthy(command, env, work, port))

        def run_peer() -> None:
            port = free_port()
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "bare_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ]
            peer.values.append(time_to_healthy(command, env, work, port))

        alternate(repeats, [run_ours, run_peer])
    ratio = ours.median / peer.median
    return report(
        "cold_start",
        f"Cold start, median of {repeats} alternated starts",
        [ours, peer],
        [
            Goal(
                f"serve -> /healthz <= {GOAL_SECONDS} s",
                ours.median <= GOAL_SECONDS,
                f"median {ours.median:.2f} s",
            ),
            Goal(f"ours / bare uvicorn <= {GOAL_RATIO:.0f}x", ratio <= GOAL_RATIO, f"{ratio:.1f}x"),
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    sys.exit(main(parser.parse_args().repeats))
