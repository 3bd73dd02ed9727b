"""Render speed and GIF size: clustergif against the two usual ways, in the same run.

Workload (issue #2): make_blobs n=1000, 4 centres, random_state=0; k-means k=4 from
a poor initialisation, max_iter=20; an assign and an update frame per iteration at
480 x 480 px, 250 ms each. All three draw the same content: points coloured by
cluster, Voronoi cells, centres as crosses, a title and a caption.

    python benchmarks/render_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Measure the checkout this script is in, not whichever animate is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import imageio.v3 as iio
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation, PillowWriter
from sklearn.datasets import make_blobs

import animate
from animate.render import style

SIZE, STEP_MS = 480, 250


def workload():
    X, y = make_blobs(n_samples=1000, centers=4, random_state=0)
    init = X[np.argsort(X[:, 0])[:4]]  # the four leftmost points: a poor start
    trace = animate.run("kmeans", X, y=y, n_clusters=4, init=init, max_iter=20)
    return trace


def clustergif(trace, path, every_step=False):
    return animate.render(
        trace,
        path,
        size=(SIZE, SIZE),
        side_panel=False,
        step_ms=STEP_MS,
        first_ms=STEP_MS,
        hold_ms=STEP_MS,
        every_step=every_step,
    )


def clustergif_every_step(trace, path):
    """A frame for every step, as the other two draw: like for like."""
    return clustergif(trace, path, every_step=True)


def _draw_frame(ax, trace, step, grid, extent):
    ax.clear()
    k = len(step.centers)
    nearest = np.argmin(((grid[:, None] - step.centers[None]) ** 2).sum(-1), 1)
    tints = np.array([style.tint(style.cluster_colour(j)) for j in range(k)])
    ax.imshow(tints[nearest].reshape(160, 160, 3), origin="lower", extent=extent, aspect="auto")
    colours = np.array([style.cluster_colour(j) for j in range(k)] + [style.UNASSIGNED])
    ax.scatter(trace.X[:, 0], trace.X[:, 1], s=8, c=colours[step.labels], linewidths=0)
    ax.scatter(
        step.centers[:, 0], step.centers[:, 1], marker="X", s=150, c=colours[:k], edgecolors="white"
    )
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"k-means, iteration {step.iteration} · {step.phase}")
    ax.set_xlabel(step.message, fontsize=8)


def _grid(trace):
    lo, hi = trace.X.min(0) - 1, trace.X.max(0) + 1
    xs, ys = np.meshgrid(np.linspace(lo[0], hi[0], 160), np.linspace(lo[1], hi[1], 160))
    return np.column_stack([xs.ravel(), ys.ravel()]), (lo[0], hi[0], lo[1], hi[1])


def savefig_per_frame(trace, path):
    grid, extent = _grid(trace)
    frames = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, step in enumerate(trace.steps):
            fig, ax = plt.subplots(figsize=(SIZE / 100, SIZE / 100), dpi=100)
            _draw_frame(ax, trace, step, grid, extent)
            png = Path(tmp) / f"{i:04d}.png"
            fig.savefig(png)
            plt.close(fig)
            frames.append(iio.imread(png)[..., :3])
    iio.imwrite(path, np.stack(frames), extension=".gif", duration=STEP_MS, loop=0)
    return path


def funcanimation_pillowwriter(trace, path):
    grid, extent = _grid(trace)
    fig, ax = plt.subplots(figsize=(SIZE / 100, SIZE / 100), dpi=100)
    anim = FuncAnimation(
        fig, lambda i: _draw_frame(ax, trace, trace.steps[i], grid, extent), frames=len(trace.steps)
    )
    anim.save(path, writer=PillowWriter(fps=1000 / STEP_MS))
    plt.close(fig)
    return path


METHODS = [
    ("clustergif", clustergif),
    ("clustergif, every step", clustergif_every_step),
    ("savefig per frame + imageio", savefig_per_frame),
    ("FuncAnimation + PillowWriter", funcanimation_pillowwriter),
]


def _gifsicle_bytes(path):
    """The size ``gifsicle -O3`` makes of ``path``, or None without gifsicle (never needed)."""
    if shutil.which("gifsicle") is None:
        return None
    out = path.with_name(f"{path.stem}-O3.gif")
    subprocess.run(["gifsicle", "-O3", str(path), "-o", str(out)], check=True)
    return out.stat().st_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per method; the fastest counts")
    repeat = parser.parse_args().repeat
    trace = workload()
    n_frames = len(trace.steps)
    print(f"workload: {n_frames} frames at {SIZE}x{SIZE} ({trace.n_iter} iterations)")
    print(f"each method run {repeat} times in turn, the fastest run counts")
    times = {name: [] for name, _ in METHODS}
    sizes = {}
    with tempfile.TemporaryDirectory() as tmp:
        clustergif(trace, Path(tmp) / "warmup.gif")  # imports and font cache, for all three
        # Round by round, so that a busy spell on a shared machine hits every method.
        for _ in range(repeat):
            for name, func in METHODS:
                path = Path(tmp) / f"{func.__name__}.gif"
                start = time.perf_counter()
                func(trace, path)
                times[name].append(time.perf_counter() - start)
                sizes[name] = path.stat().st_size
        squeezed = _gifsicle_bytes(Path(tmp) / "clustergif.gif")
        squeezed_every = _gifsicle_bytes(Path(tmp) / "clustergif_every_step.gif")
    base_s, base_b = min(times["clustergif"]), sizes["clustergif"]
    every_s = min(times["clustergif, every step"])
    print("time x: against clustergif as it paces (steps that move under 12 px get no frame);")
    print("every x: against clustergif drawing every step, as the other two do")
    header = f"{'method':32} {'seconds':>8} {'ms/step':>8} {'KB':>8} {'time x':>7} {'every x':>8}"
    print(header)
    for name, _ in METHODS:
        seconds, size = min(times[name]), sizes[name]
        print(
            f"{name:32} {seconds:8.2f} {1000 * seconds / n_frames:8.1f} {size / 1024:8.1f} "
            f"{seconds / base_s:7.1f} {seconds / every_s:8.1f}"
        )
    if squeezed is not None:
        print(f"gifsicle -O3 of the clustergif GIF: {squeezed:,} bytes (ours {base_b:,})")
        every_b = sizes["clustergif, every step"]
        print(f"gifsicle -O3 of the every-step GIF: {squeezed_every:,} bytes (ours {every_b:,})")


if __name__ == "__main__":
    main()
