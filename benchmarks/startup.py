"""Start-up time: what a user waits for before anything is drawn, each in a fresh process.

    python benchmarks/startup.py [--repeat 5]

Measures the wall time of ``clustergif --help``, ``import animate``, and a first
render (k-means on 300 blobs at 480 x 480, the whole command), in the checkout the
script sits in; prints the median and the fastest of the repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIRST_RENDER = """
import animate
X, y = animate.datasets.make("blobs", n_samples=300, centers=3, random_state=0)
trace = animate.run("kmeans", X, n_clusters=3)
animate.render(trace, {path!r}, size=(480, 480), side_panel=False)
"""


def _seconds(command, repeat):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{command[-1][:60]!r} failed:\n{done.stderr[-2000:]}")
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            ("python -c pass (the interpreter alone)", [python, "-c", "pass"]),
            ("clustergif --help", [python, "-m", "animate", "--help"]),
            ("import animate", [python, "-c", "import animate"]),
            (
                "first render (300 points, 480 x 480)",
                [python, "-c", FIRST_RENDER.format(path=str(Path(tmp) / "first.gif"))],
            ),
        ]
        print(f"{'command':40} {'median s':>9} {'fastest s':>10}")
        for name, command in cases:
            median, fastest = _seconds(command, repeat)
            print(f"{name:40} {median:9.2f} {fastest:10.2f}")


if __name__ == "__main__":
    main()
