"""The ``clustergif`` command: the only place that prints or exits.

clustergif                      render every scene in ./scenes (or, without one,
                                the built-in gallery) into ./output, then write
                                ./output/index.html, the gallery page
clustergif render FILE...       render some scene files
clustergif run ALGORITHM ...    one GIF without a scene file
clustergif list                 scenes, algorithms and data sets
clustergif init [DIR]           copy the built-in scenes into DIR/scenes to edit

Scenes render in parallel in worker processes, one per usable CPU unless
``-j/--jobs N`` says otherwise; ``--jobs 1`` renders in this process. A scene
that fails is one error line and exit status 2; the others still render.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import signal
import sys
import tomllib
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from animate import __version__
from animate.errors import UserError, one_line

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, no usage dump: the same shape as every other user error.
        raise UserError(
            f"{message} (see clustergif {self.prog.split()[-1]} --help)"
            if " " in self.prog
            else f"{message} (see clustergif --help)"
        )


_JOBS_HELP = (
    "scenes rendered at once, each in its own process (default: one per CPU; 1: no processes)"
)
_FORCE_HELP = "replace an existing output file even if it is not a GIF (a text file, a device...)"


_FORMAT_HELP = (
    "more formats written beside each GIF from the same frames, comma separated: "
    "webp, apng, mp4 (mp4 needs pip install clustergif[video])"
)


_STORYBOARD_HELP = (
    "also draw the key steps on one PNG beside each GIF (NAME_storyboard.png), for print and slides"
)


def _formats(text):
    from animate.writers import format_paths

    names = [name.strip() for name in text.split(",") if name.strip()]
    try:
        format_paths("check.gif", names)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return names


_THEME_HELP = (
    "light or dark: the colours of every GIF, overriding the scenes' own theme; both: "
    "each GIF in its scene's theme and a dark twin beside it (NAME_dark.gif), which the "
    "gallery page shows to readers in dark mode"
)


def _theme(text, allowed=("light", "dark", "both")):
    # An argparse type: its message becomes "argument --theme: ...", exit 2.
    if text not in allowed:
        raise argparse.ArgumentTypeError(
            f"unknown theme {text!r}; choose one of {', '.join(allowed)}"
        )
    return text


def _jobs(text):
    # An argparse type: its message becomes "argument -j/--jobs: ...", exit 2.
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number, 1 or more, got {text!r}")
    return jobs


def build_parser():
    from animate.algorithms import registry

    parser = _Parser(
        prog="clustergif",
        description=(
            "Clustering algorithms, step by step, as animated GIFs for teaching. Without a "
            "command, renders every scene in ./scenes (without one, the built-in gallery) "
            "into ./output, several at once (see --jobs), and writes ./output/index.html, "
            "a page showing them all."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  clustergif\n  clustergif --jobs 1\n"
        "  clustergif render scenes/kmeans.toml\n"
        "  clustergif run kmeans --dataset moons --set n_clusters=2 -o moons.gif\n"
        "  clustergif run meanshift --dataset moons --sweep 'bandwidth=[0.2, 0.4, 0.8]' -o bw.gif\n"
        "  clustergif list\n  clustergif init",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--version", action="version", version=f"clustergif {__version__}")
    parser.add_argument(
        "-o",
        "--output-dir",
        default="output",
        type=Path,
        help="where the gallery and its index.html are written (default: ./output)",
    )
    parser.add_argument("-j", "--jobs", type=_jobs, default=None, help=_JOBS_HELP)
    parser.add_argument(
        "--format", type=_formats, default=[], dest="formats", metavar="LIST", help=_FORMAT_HELP
    )
    parser.add_argument("--storyboard", action="store_true", help=_STORYBOARD_HELP)
    parser.add_argument("--force", action="store_true", help=_FORCE_HELP)
    parser.add_argument("--theme", type=_theme, default=None, help=_THEME_HELP)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    render = commands.add_parser(
        "render",
        help="render scene files (TOML) to GIFs",
        description="Render scene files (TOML) into GIFs, several at once (see --jobs). "
        "Writes no index.html: that is the gallery's, made by clustergif without a command.",
    )
    render.add_argument("files", nargs="+", type=Path, help="scene files, e.g. scenes/kmeans.toml")
    # SUPPRESS: an option given before the command (`clustergif -q render ...`) is
    # kept, not overwritten by the command's own default.
    render.add_argument(
        "-o",
        "--output-dir",
        default=argparse.SUPPRESS,
        type=Path,
        help="folder for the GIFs (default: ./output)",
    )
    render.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print nothing but errors",
    )
    render.add_argument("-j", "--jobs", type=_jobs, default=argparse.SUPPRESS, help=_JOBS_HELP)
    render.add_argument(
        "--format",
        type=_formats,
        default=argparse.SUPPRESS,
        dest="formats",
        metavar="LIST",
        help=_FORMAT_HELP,
    )
    render.add_argument(
        "--storyboard", action="store_true", default=argparse.SUPPRESS, help=_STORYBOARD_HELP
    )
    render.add_argument("--force", action="store_true", default=argparse.SUPPRESS, help=_FORCE_HELP)
    render.add_argument("--theme", type=_theme, default=argparse.SUPPRESS, help=_THEME_HELP)

    run = commands.add_parser(
        "run",
        help="run one algorithm on one data set and write a GIF",
        description="Run one algorithm on a built-in data set or a CSV file and write a GIF.",
        epilog="values after --set and --data are read as TOML: 4, 0.5, true, 'random', "
        "[[0, 0], [1, 1]]; bare words are text.",
    )
    names = ", ".join(registry.names())
    run.add_argument("algorithm", help=f"{names} (clustergif list shows their parameters)")
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
    # No defaults restated here: what is not given is render's default.
    run.add_argument("--step-ms", type=int, help="ms per step (default 500)")
    run.add_argument("--first-ms", type=int, help="ms on the first frame (default 1500)")
    run.add_argument("--hold-ms", type=int, help="ms on the last frame (default 3000)")
    run.add_argument("--max-frames", type=int, help="frame budget; longer runs skip steps (90)")
    run.add_argument(
        "--every-step",
        action="store_true",
        default=None,
        help="a frame for every step, also those that change the picture by under 12 px",
    )
    run.add_argument("--title", help="the title line (default: algorithm and parameters)")
    run.add_argument("--caption", help="a fixed caption in place of each step's narration")
    run.add_argument(
        "--sweep",
        metavar="KEY=[V1, V2, ...]",
        help="one frame per value of one parameter, each the algorithm's answer, "
        "e.g. bandwidth=[0.5, 1, 2, 4]",
    )
    run.add_argument(
        "--ari",
        action="store_true",
        help="show the adjusted Rand index against the data's true labels",
    )
    run.add_argument(
        "--metric",
        action="append",
        default=[],
        dest="metrics",
        metavar="NAME",
        help="a score on the status line (repeatable): ari, ami, homogeneity, completeness, "
        "v_measure, fmi (need true labels), silhouette, calinski_harabasz, davies_bouldin",
    )
    run.add_argument("--no-side-panel", action="store_true", help="leave out the diagnostic panel")
    run.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="the file to write; its suffix picks the format: .gif, .webp, .apng, .png, .mp4",
    )
    run.add_argument(
        "--format", type=_formats, default=[], dest="formats", metavar="LIST", help=_FORMAT_HELP
    )
    run.add_argument("--force", action="store_true", default=argparse.SUPPRESS, help=_FORCE_HELP)
    run.add_argument(
        "--theme",
        type=lambda text: _theme(text, ("light", "dark")),
        default=argparse.SUPPRESS,
        help="light (default) or dark: dark paper, light ink",
    )
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print nothing but errors",
    )

    commands.add_parser(
        "list",
        help="list scenes, algorithms and data sets",
        description="List the scenes clustergif would render (./scenes, else the built-in "
        "gallery), the algorithms and data sets.",
    )
    init = commands.add_parser(
        "init",
        help="copy the built-in scenes into DIR/scenes to edit",
        description="Copy the built-in scenes into DIR/scenes, to edit and render with "
        "clustergif from DIR. Never overwrites a file.",
    )
    init.add_argument(
        "dir", nargs="?", default=Path("."), type=Path, help="default: the current folder"
    )
    return parser


def main(argv=None):
    """Entry point of ``clustergif``; returns the exit status."""
    shown = warnings.formatwarning
    warnings.formatwarning = one_line
    try:
        args = build_parser().parse_args(argv)
        command = args.command or "gallery"
        commands = {"gallery": _gallery, "render": _render, "run": _run, "list": _list}
        commands["init"] = _init
        return commands[command](args)
    except UserError as exc:
        print(f"clustergif: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("clustergif: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.formatwarning = shown


def _gallery(args):
    from animate.gallery import write_index
    from animate.scenes import load_scene

    files, where = _gallery_scenes()
    if not args.quiet:
        hint = "; no ./scenes here (clustergif init copies them there)" if where == _BUILTIN else ""
        print(f"rendering {len(files)} scenes from {where}{hint}")
    args.files = files
    written = _render_files(args)
    # A failed scene is left out; the page is still written with the rest.
    scenes = [load_scene(path) for path in files if path in written]
    index = write_index(scenes, args.output_dir, written)
    if not args.quiet:
        print(f"wrote {index}")
    return EXIT_USER_ERROR if len(written) < len(files) else 0


_BUILTIN = "the built-in gallery"


def _gallery_scenes():
    """``(files, where)``: the scenes in ./scenes, or the built-in ones if it has none."""
    from animate.scenes import builtin_dir, scene_files

    files = scene_files("scenes")
    if files:
        return files, "./scenes"
    files = scene_files(builtin_dir())
    if not files:
        raise UserError(
            "no scene files in ./scenes and no built-in ones (a broken install?); "
            "reinstall clustergif or use clustergif render FILE"
        )
    return files, _BUILTIN


def _init(args):
    from animate.scenes import copy_builtin

    target = args.dir / "scenes"
    written = copy_builtin(target)
    if not args.quiet:
        print(f"copied {len(written)} scenes into {target}; edit them, then run clustergif there")
    return 0


def _render(args):
    written = _render_files(args)
    return EXIT_USER_ERROR if len(written) < len(args.files) else 0


def _render_files(args):
    """Render ``args.files``, printing a line per scene; returns {file: GIF written}."""
    from tqdm import tqdm

    written = {}
    jobs = min(args.jobs or _usable_cpus(), len(args.files))
    bar = tqdm(
        total=len(args.files), unit="scene", disable=True if args.quiet else None, file=sys.stderr
    )

    def report(path, result):
        status, value = result
        bar.update()
        bar.set_description(Path(path).stem)
        if status == "ok":
            written[path] = value
            if not args.quiet:
                also = "".join(f", {other}" for other in getattr(value, "others", []))
                tqdm.write(f"wrote {value}{also}", file=sys.stdout)
        else:
            tqdm.write(f"clustergif: error: {_scene_error(path, value)}", file=sys.stderr)

    with bar:
        if jobs == 1:
            for path in args.files:
                outputs = (args.formats, args.storyboard, args.force, args.theme)
                report(path, render_scene(path, args.output_dir, *outputs))
        else:
            outputs = (args.formats, args.storyboard, args.force, args.theme)
            _render_parallel(args.files, args.output_dir, outputs, jobs, report)
    return written


def render_scene(path, out_dir, formats=(), storyboard=False, force=False, theme=None):
    """Render one scene file; the unit of work of ``clustergif`` and ``clustergif render``.

    Parameters
    ----------
    path : str or Path
        The scene file (TOML).
    out_dir : str or Path
        The folder the GIF is written to.
    formats : sequence of str
        More formats to write beside it ("webp", "mp4"...).
    storyboard : bool
        Also draw its key steps on one PNG beside it.
    force : bool, default=False
        Replace a file there even if it is not an animation this tool wrote.
    theme : {"light", "dark", "both"}, optional
        Overrides the scene's theme; "both" also writes a dark twin beside the
        GIF (see :func:`animate.scenes.dark_twin`).

    Returns
    -------
    tuple
        ``("ok", path written)``, or ``("error", message)`` when the scene has a
        mistake its author can fix (a :class:`UserError`); any other exception
        is a bug and propagates.
    """
    from animate import writers
    from animate.scenes import dark_twin, load_scene

    # This process is the command's own: the GIF writer may tune its C allocator.
    writers.tune_allocator = True
    try:
        scene = load_scene(path)
        if theme != "both":
            return "ok", scene.render(out_dir, formats, storyboard, force, theme)
        written = scene.render(out_dir, formats, storyboard, force)
        twin = dataclasses.replace(scene, output=dark_twin(scene.output).as_posix())
        written.others.append(twin.render(out_dir, formats, False, force, "dark"))
        return "ok", written
    except UserError as exc:
        return "error", str(exc)


def _render_parallel(files, out_dir, outputs, jobs, report):
    """Render ``files`` in ``jobs`` processes, calling ``report(file, result)`` as each ends."""
    # The workers share the CPUs: each gets its share of BLAS/OpenMP threads, or
    # the small matrices here spend their time in thread contention.
    threads = max(1, _usable_cpus() // jobs)
    context = _mp_context()
    stop = context.Event()
    pool = ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_init_worker, initargs=(threads, stop)
    )
    try:
        futures = {pool.submit(_pool_job, path, out_dir, *outputs): path for path in files}
        for future in as_completed(futures):
            report(futures[future], _result(future))
    finally:
        # After Ctrl-C (or a bug) start no other scene: cancel_futures drops the
        # pending ones, `stop` those already queued to a worker.
        stop.set()
        pool.shutdown(cancel_futures=True)


def _result(future):
    try:
        return future.result()
    except BrokenProcessPool:
        # A worker died (killed, out of memory, a crash in C code): every scene
        # still in the pool is lost, each gets its line; finished ones stay.
        return "error", "its worker process died; run it alone with --jobs 1 to see why"


def _mp_context():
    # Never plain fork: the child would copy this process mid-state, BLAS and
    # tqdm threads and their locks included. forkserver forks workers from a
    # fresh single-threaded server instead.
    forkserver = sys.platform.startswith("linux") and (
        "forkserver" in multiprocessing.get_all_start_methods()
    )
    return multiprocessing.get_context("forkserver" if forkserver else "spawn")


# In a worker process: the parent's stop event, whether Ctrl-C was seen, and
# whether a scene is rendering.
_worker = {"stop": None, "interrupted": False, "rendering": False}


def _init_worker(threads, stop):
    import matplotlib

    # threadpoolctl (a scikit-learn dependency, declared too) caps BLAS threads.
    from threadpoolctl import threadpool_limits

    matplotlib.use("Agg")
    warnings.formatwarning = one_line
    threadpool_limits(threads)
    _worker["stop"] = stop
    signal.signal(signal.SIGINT, _worker_sigint)


def _worker_sigint(signum, frame):
    # Ctrl-C in a terminal reaches the workers too. An idle worker must not die
    # with a traceback, a rendering one stops at once (atomic_write removes its
    # temporary file), and neither starts another scene. Only a flag is set
    # here: taking the stop event's lock in a signal handler could deadlock.
    _worker["interrupted"] = True
    if _worker["rendering"]:
        raise KeyboardInterrupt


def _pool_job(path, out_dir, formats=(), storyboard=False, force=False, theme=None):
    # The KeyboardInterrupt goes back to the parent, which is already leaving.
    if _worker["interrupted"] or _worker["stop"].is_set():
        raise KeyboardInterrupt
    _worker["rendering"] = True
    try:
        return render_scene(path, out_dir, formats, storyboard, force, theme)
    finally:
        _worker["rendering"] = False


def _scene_error(path, message):
    # Errors found while loading name the scene file; those found while
    # rendering (an unknown data set, a bad parameter) do not, so add it.
    message = " ".join(str(message).split())
    return message if Path(path).name in message else f"{path}: {message}"


def _usable_cpus():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _run(args):
    import animate
    from animate.render import render
    from animate.scenes import load_data
    from animate.writers import format_paths

    format_paths(args.output, args.formats)  # a bad suffix fails before any work
    data = {"name": args.dataset, "n_samples": args.n_samples, "random_state": args.random_state}
    if args.dataset.lower().endswith(".csv"):
        data = {
            "csv": args.dataset,
            "label_column": args.label_column,
            "columns": args.columns.split(",") if args.columns else None,
        }
    data.update(_pairs(args.data, "--data"))
    params = _pairs(args.params, "--set")
    data.update(_data_options(args.dataset, args.algorithm, params))
    table = load_data(data)
    if args.sweep:
        parameter, values = _sweep(args.sweep)
        trace = animate.sweep(args.algorithm, table, parameter, values, **params)
    else:
        trace = animate.run(args.algorithm, table, **params)
    size = _size(args.size) if args.size else None
    given = {key: getattr(args, key) for key in _RUN_RENDER_OPTIONS}
    written = render(
        trace,
        args.output,
        size=size,
        side_panel=not args.no_side_panel,
        ari=args.ari,
        force=args.force,
        metrics=args.metrics,
        formats=args.formats,
        theme=getattr(args, "theme", None) or "light",
        **{key: value for key, value in given.items() if value is not None},
    )
    if args.storyboard:
        from animate.scenes import storyboard_path
        from animate.storyboard import storyboard

        theme = getattr(args, "theme", None) or "light"
        written.others.append(storyboard(trace, storyboard_path(args.output), theme=theme))
    if not args.quiet:
        done = f"{trace.n_iter} iterations" if not args.sweep else "one frame per value"
        also = "".join(f", {other}" for other in written.others)
        print(f"wrote {written}{also} ({len(trace.steps)} steps, {done})")
    return 0


_RUN_RENDER_OPTIONS = (
    "step_ms",
    "first_ms",
    "hold_ms",
    "max_frames",
    "every_step",
    "title",
    "caption",
)


def _data_options(dataset, algorithm, params):
    """The ``--set`` options that belong to the data set (``--set image=my.png``):
    those it takes and the algorithm does not. They are removed from ``params``."""
    from animate import datasets
    from animate.api import parameters

    if dataset not in datasets.PICTURES:
        return {}
    algorithm_takes = parameters(algorithm)
    moved = [k for k in params if k in datasets.options_of(dataset) and k not in algorithm_takes]
    return {key: params.pop(key) for key in moved}


def _sweep(text):
    (parameter, values), *more = _pairs([text], "--sweep").items()
    if more or not isinstance(values, list):
        raise UserError(f"--sweep takes KEY=[V1, V2, ...], one parameter, got {text!r}")
    return parameter, values


def _list(args):
    from animate import datasets
    from animate.algorithms import registry

    files, where = _gallery_scenes()
    print(f"scenes ({where}):")
    for path in files:
        title = _scene_title(path)
        print(f"  {path.name:32} {title}")
    print("algorithms (parameter = default: allowed values):")
    for spec in registry.specs():
        aliases = f" (alias {', '.join(spec.aliases)})" if spec.aliases else ""
        print(f"  {spec.name}{aliases}: {spec.summary}")
        for param, default in spec.defaults.items():
            print(f"      {param} = {default!r}: {registry.describe(spec.constraints[param])}")
    print("data sets:")
    for name, text in datasets.describe().items():
        print(f"  {name:12} {text}")
    return 0


def _scene_title(path):
    try:
        title = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("title", "")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "(unreadable)"
    return title if isinstance(title, str) else "(no title)"


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
