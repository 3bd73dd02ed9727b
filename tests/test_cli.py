"""The command line: one line and exit 2 for every user mistake, no output file."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tqdm
from PIL import Image, ImageSequence

from animate import cli
from animate.cli import build_parser, main

from helpers import tiny_scene

ROOT = Path(__file__).resolve().parents[1]


def _tiny(folder, *names):
    return [str(tiny_scene(folder, name, seed=seed)) for seed, name in enumerate(names)]


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "kmeans2", "--dataset", "moons", "-o", "{out}"], "unknown algorithm 'kmeans2'"),
        (["run", "kmeans", "--dataset", "spirals", "-o", "{out}"], "unknown data set 'spirals'"),
        (
            ["run", "kmeans", "--dataset", "moons", "--set", "colour=red", "-o", "{out}"],
            "no parameter 'colour'",
        ),
        (
            ["run", "kmeans", "--dataset", "moons", "--set", "n_clusters=two", "-o", "{out}"],
            "n_clusters must be a whole number",
        ),
        (
            [
                "run",
                "kmeans",
                "--dataset",
                "moons",
                "--n-samples",
                "5",
                "--set",
                "n_clusters=9",
                "-o",
                "{out}",
            ],
            "more than the 5 points",
        ),
        (["run", "kmeans", "--dataset", "{tmp}/missing.csv", "-o", "{out}"], "does not exist"),
        (["run", "kmeans", "--dataset", "{tmp}/nan.csv", "-o", "{out}"], "line 3"),
        (
            ["run", "kmeans", "--dataset", "{tmp}/text.csv", "-o", "{out}"],
            "'abc', not a finite number",
        ),
        (["run", "kmeans", "--dataset", "moons", "--size", "big", "-o", "{out}"], "--size"),
        (["run", "kmeans", "--dataset", "moons"], "required: -o/--output"),
        (["render", "{tmp}/typo.toml", "-o", "{tmp}/gallery"], "unknown key 'algoritm'"),
        (["render", "{tmp}/missing_key.toml", "-o", "{tmp}/gallery"], "has no 'title'"),
        (["render", "{tmp}/nope.toml", "-o", "{tmp}/gallery"], "does not exist"),
        (["frobnicate"], "invalid choice"),
        (["--jobs", "0"], "argument -j/--jobs: expected a whole number, 1 or more, got '0'"),
        (["-j", "two"], "argument -j/--jobs"),
        (["render", "{tmp}/typo.toml", "-o", "{tmp}/gallery", "-j", "-1"], "got '-1'"),
        (["render", "{tmp}/typo.toml", "-o", "{tmp}/gallery", "--jobs=1.5"], "got '1.5'"),
    ],
)
def test_user_errors_print_one_line_exit_2_and_write_nothing(tmp_path, capsys, args, fragment):
    (tmp_path / "nan.csv").write_text("a,b\n1,2\n3,nan\n4,5\n")
    (tmp_path / "text.csv").write_text("a,b\n1,2\n3,abc\n")
    (tmp_path / "typo.toml").write_text(
        'title = "t"\n[data]\nname = "moons"\n[algoritm]\nname = "kmeans"\n'
    )
    (tmp_path / "missing_key.toml").write_text('[data]\nname = "moons"\n[algorithm]\nname = "k"\n')
    out = tmp_path / "out.gif"
    args = [a.format(out=out, tmp=tmp_path) for a in args]
    code, _stdout, stderr = _run(args, capsys)
    assert code == 2
    assert stderr.count("\n") == 1 and stderr.startswith("clustergif: error: ")
    assert fragment in stderr
    assert "Traceback" not in stderr
    assert not out.exists() and not (tmp_path / "gallery").exists()


def test_run_writes_a_gif(tmp_path, capsys):
    out = tmp_path / "moons.gif"
    code, stdout, _ = _run(
        [
            "run",
            "kmeans",
            "--dataset",
            "moons",
            "--set",
            "n_clusters=2",
            "--size",
            "320x240",
            "--no-side-panel",
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 0 and f"wrote {out}" in stdout
    with Image.open(out) as im:
        assert im.size == (320, 240) and im.info["loop"] == 0 and im.n_frames > 3


def test_run_sweeps_one_parameter_one_frame_per_value(tmp_path, capsys):
    out = tmp_path / "bandwidth.gif"
    args = ["run", "meanshift", "--dataset", "moons", "--n-samples", "80", "--ari"]
    args += ["--sweep", "bandwidth=[0.2, 0.5, 3.0]", "--step-ms", "400", "-o", str(out)]
    code, stdout, _ = _run(args, capsys)
    assert code == 0 and "3 steps, one frame per value" in stdout
    with Image.open(out) as im:
        # First frame 1500 ms, one step 400 ms, the last held 3000 ms.
        total = sum(frame.info["duration"] for frame in ImageSequence.Iterator(im))
    assert total == 1500 + 400 + 3000
    code, _, stderr = _run([*args[:-4], "--sweep", "bandwidth=0.2", "-o", str(out)], capsys)
    assert code == 2 and stderr.count("\n") == 1 and "KEY=[V1, V2, ...]" in stderr


@pytest.mark.slow
def test_gallery_renders_every_scene_and_a_broken_one_fails_alone(tmp_path, capsys, monkeypatch):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    shutil.copy(ROOT / "scenes" / "kmeans_moons.toml", scenes)
    (scenes / "broken.toml").write_text(
        'title = "t"\n[data]\nname = "moons"\n[algorithm]\nname = "kmeans"\nn_clusters = -1\n'
    )
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = _run(["--quiet"], capsys)
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and stderr.count("error") == 1
    assert "scenes/broken.toml: " in stderr and "n_clusters must be a whole number >= 1" in stderr
    # The page is written all the same, without the broken scene.
    output = sorted(p.name for p in (tmp_path / "output").iterdir())
    assert output == ["index.html", "kmeans_moons.gif"]


def test_jobs_is_an_option_of_the_gallery_and_of_render():
    parser = build_parser()
    assert parser.parse_args([]).jobs is None
    assert parser.parse_args(["-j", "3"]).jobs == 3
    assert parser.parse_args(["render", "a.toml", "--jobs", "2"]).jobs == 2
    assert parser.parse_args(["-j", "3", "render", "a.toml"]).jobs == 3
    assert parser.parse_args(["render", "a.toml"]).jobs is None


def test_options_before_the_command_are_not_overwritten_by_its_defaults(tmp_path, capsys):
    parser = build_parser()
    early = parser.parse_args(["-q", "-o", "there", "render", "a.toml"])
    assert early.quiet and early.output_dir == Path("there")
    late = parser.parse_args(["render", "a.toml", "-q", "-o", "here"])
    assert late.quiet and late.output_dir == Path("here")
    plain = parser.parse_args(["render", "a.toml"])
    assert not plain.quiet and plain.output_dir == Path("output")
    (scene,) = _tiny(tmp_path / "scenes", "quiet")
    code, out, err = _run(["-q", "-o", str(tmp_path / "there"), "-j", "1", "render", scene], capsys)
    assert (code, out, err) == (0, "", "")
    assert (tmp_path / "there" / "quiet.gif").exists()


@pytest.mark.slow
def test_the_gifs_do_not_depend_on_jobs_and_render_writes_no_page(tmp_path, capsys):
    files = _tiny(tmp_path / "scenes", "one", "two")
    for jobs in ("1", "2"):
        code, stdout, stderr = _run(
            ["render", *files, "-o", str(tmp_path / jobs), "-j", jobs], capsys
        )
        assert code == 0 and stderr == ""
        assert stdout.count("wrote") == 2
    for name in ("one.gif", "two.gif"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "2").iterdir()) == ["one.gif", "two.gif"]


def test_one_scene_renders_in_this_process(tmp_path, capsys, monkeypatch):
    # Never more processes than scenes: one scene needs no pool at all.
    def no_pool(*args, **kwargs):
        raise AssertionError("started a process pool for one scene")

    monkeypatch.setattr(cli, "ProcessPoolExecutor", no_pool)
    code, _, _ = _run(["render", *_tiny(tmp_path, "one"), "-o", str(tmp_path)], capsys)
    assert code == 0 and (tmp_path / "one.gif").exists()


def test_a_bug_is_not_reported_as_a_user_error(tmp_path, monkeypatch):
    def bug(self, *args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("animate.scenes.Scene.render", bug)
    with pytest.raises(ZeroDivisionError):
        main(["render", *_tiny(tmp_path, "one"), "-j", "1"])


def _dying_job(path, out_dir, *outputs):
    # Runs in a worker process: "crash" scenes kill it once the parent has
    # reported the good scene, so that result is in hand before the pool breaks.
    if "crash" not in Path(path).name:
        return cli.render_scene(path, out_dir, *outputs)
    go = Path(out_dir).parent / "go"
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    os._exit(1)


@pytest.mark.slow
def test_a_dead_worker_fails_its_scenes_and_keeps_the_rest(tmp_path, capsys, monkeypatch):
    files = _tiny(tmp_path / "scenes", "good", "crash1", "crash2")
    write = tqdm.tqdm.write

    def write_then_go(text, *args, **kwargs):
        write(text, *args, **kwargs)
        if text.startswith("wrote"):
            (tmp_path / "go").touch()

    monkeypatch.setattr(tqdm.tqdm, "write", write_then_go)
    monkeypatch.setattr(cli, "_pool_job", _dying_job)
    code, stdout, stderr = _run(["render", *files, "-o", str(tmp_path / "out"), "-j", "2"], capsys)
    assert code == 2
    assert stdout == f"wrote {tmp_path / 'out' / 'good.gif'}\n"
    lines = stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("clustergif: error: ") for line in lines)
    assert sorted(line.split("/")[-1].split(":")[0] for line in lines) == [
        "crash1.toml",
        "crash2.toml",
    ]
    assert all("worker process died" in line for line in lines)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.gif"]


def test_list_names_scenes_algorithms_and_data_sets(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, stdout, _ = _run(["list"], capsys)
    assert code == 0
    for word in ("kmeans.toml", "k-means in action", "agglomerative", "gaussians4", "gmm"):
        assert word in stdout


def test_python_m_animate_help_explains_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "animate", "--help"], capture_output=True, text=True, check=True
    )
    for word in ("render", "run", "list", "scenes", "--jobs", "index.html"):
        assert word in result.stdout


def test_a_warning_is_one_line_naming_the_tool_not_python_source(tmp_path):
    out = tmp_path / "b.gif"
    args = ["-q", "run", "birch", "--dataset", "moons", "--set", "threshold=5", "-o", str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "animate", *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and out.exists()
    assert result.stderr == (
        "clustergif: warning: BIRCH found 1 subcluster, fewer than n_clusters=3; "
        "lower the threshold\n"
    )
