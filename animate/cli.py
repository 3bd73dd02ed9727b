"""The ``clustergif`` command: the only place that prints or exits.

clustergif                      render every scene in ./scenes into ./output
clustergif render FILE...       render some scene files
clustergif run ALGORITHM ...    one GIF without a scene file
clustergif list                 scenes, algorithms and data sets
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from animate.errors import UserError

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, no usage dump: the same shape as every other user error.
        raise UserError(
            f"{message} (see clustergif {self.prog.split()[-1]} --help)"
            if " " in self.prog
            else f"{message} (see clustergif --help)"
        )


def build_parser():
    parser = _Parser(
        prog="clustergif",
        description=(
            "Clustering algorithms, step by step, as animated GIFs for teaching. Without a "
            "command, renders every scene in ./scenes into ./output."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  clustergif\n  clustergif render scenes/kmeans.toml\n"
        "  clustergif run kmeans --dataset moons --set n_clusters=2 -o moons.gif\n"
        "  clustergif list",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument(
        "-o",
        "--output-dir",
        default="output",
        type=Path,
        help="where the gallery is written (default: ./output)",
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    render = commands.add_parser(
        "render",
        help="render scene files (TOML) to GIFs",
        description="Render scene files (TOML) into GIFs.",
    )
    render.add_argument("files", nargs="+", type=Path, help="scene files, e.g. scenes/kmeans.toml")
    render.add_argument(
        "-o",
        "--output-dir",
        default="output",
        type=Path,
        help="folder for the GIFs (default: ./output)",
    )
    render.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")

    run = commands.add_parser(
        "run",
        help="run one algorithm on one data set and write a GIF",
        description="Run one algorithm on a built-in data set or a CSV file and write a GIF.",
        epilog="values after --set and --data are read as TOML: 4, 0.5, true, 'random', "
        "[[0, 0], [1, 1]]; bare words are text.",
    )
    run.add_argument("algorithm", help="kmeans, em, meanshift, affinity, dbscan or agglomerative")
    run.add_argument(
        "--dataset", required=True, help="a built-in data set (see clustergif list) or a .csv file"
    )
    run.add_argument("--n-samples", type=int, default=300, help="points to generate (default 300)")
    run.add_argument("--random-state", type=int, default=0, help="data seed (default 0)")
    run.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a data set option, e.g. noise=0.1 (repeatable)",
    )
    run.add_argument("--columns", help="CSV feature columns, comma separated (default: all)")
    run.add_argument("--label-column", help="CSV column with true labels, if any")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="params",
        help="an algorithm parameter, scikit-learn's name, e.g. n_clusters=4",
    )
    run.add_argument("--size", default=None, metavar="WxH", help="pixels, e.g. 480x480")
    run.add_argument("--step-ms", type=int, default=500, help="ms per step (default 500)")
    run.add_argument("--no-side-panel", action="store_true", help="leave out the diagnostic panel")
    run.add_argument("-o", "--output", required=True, type=Path, help="the GIF to write")
    run.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")

    commands.add_parser(
        "list",
        help="list scenes, algorithms and data sets",
        description="List the scenes in ./scenes, the algorithms and data sets.",
    )
    return parser


def main(argv=None):
    """Entry point of ``clustergif``; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        command = args.command or "gallery"
        return {"gallery": _gallery, "render": _render, "run": _run, "list": _list}[command](args)
    except UserError as exc:
        print(f"clustergif: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("clustergif: interrupted", file=sys.stderr)
        return 130


def _gallery(args):
    files = sorted(Path("scenes").glob("*.toml"))
    if not files:
        raise UserError(
            "no scene files in ./scenes; run clustergif from a folder with a "
            "scenes/ directory, or use clustergif render FILE"
        )
    args.files = files
    return _render(args)


def _render(args):
    from tqdm import tqdm

    from animate.scenes import load_scene

    failed = 0
    bar = tqdm(args.files, unit="scene", disable=True if args.quiet else None, file=sys.stderr)
    for path in bar:
        bar.set_description(Path(path).stem)
        try:
            written = load_scene(path).render(args.output_dir)
        except UserError as exc:
            failed += 1
            tqdm.write(f"clustergif: error: {exc}", file=sys.stderr)
            continue
        if not args.quiet:
            tqdm.write(f"wrote {written}", file=sys.stdout)
    return EXIT_USER_ERROR if failed else 0


def _run(args):
    import animate
    from animate.render import render
    from animate.scenes import load_data

    data = {"name": args.dataset, "n_samples": args.n_samples, "random_state": args.random_state}
    if args.dataset.lower().endswith(".csv"):
        data = {
            "csv": args.dataset,
            "label_column": args.label_column,
            "columns": args.columns.split(",") if args.columns else None,
        }
    data.update(_pairs(args.data, "--data"))
    X, y = load_data(data)
    trace = animate.run(args.algorithm, X, y=y, **_pairs(args.params, "--set"))
    size = _size(args.size) if args.size else None
    written = render(
        trace, args.output, size=size, step_ms=args.step_ms, side_panel=not args.no_side_panel
    )
    if not args.quiet:
        print(f"wrote {written} ({len(trace.steps)} steps, {trace.n_iter} iterations)")
    return 0


def _list(args):
    from animate import algorithms, datasets

    print("scenes (./scenes):")
    for path in sorted(Path("scenes").glob("*.toml")):
        title = _scene_title(path)
        print(f"  {path.name:32} {title}")
    print("algorithms:")
    for name in algorithms.ALGORITHMS:
        aliases = [a for a, c in algorithms.ALIASES.items() if c == name]
        print(f"  {name:16} {'(alias ' + ', '.join(aliases) + ')' if aliases else ''}")
    print("data sets:")
    for name, text in datasets.describe().items():
        print(f"  {name:12} {text}")
    return 0


def _scene_title(path):
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get("title", "")
    except (OSError, tomllib.TOMLDecodeError):
        return "(unreadable)"


def _pairs(items, flag):
    params = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{flag} takes KEY=VALUE, got {item!r}")
        params[key.strip()] = _value(text.strip())
    return params


def _value(text):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _size(text):
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise UserError(f"--size takes WIDTHxHEIGHT in pixels, e.g. 480x480, got {text!r}")
    return int(width), int(height)
