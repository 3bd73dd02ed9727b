"""The command line: one line and exit 2 for every user mistake, no output file."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from animate.cli import main

ROOT = Path(__file__).resolve().parents[1]


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


def test_gallery_renders_every_scene_and_a_broken_one_fails_alone(tmp_path, capsys, monkeypatch):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    shutil.copy(ROOT / "scenes" / "kmeans_moons.toml", scenes)
    (scenes / "broken.toml").write_text(
        'title = "t"\n[data]\nname = "moons"\n[algorithm]\nname = "kmeans"\nn_clusters = -1\n'
    )
    monkeypatch.chdir(tmp_path)
    code, _stdout, stderr = _run(["--quiet"], capsys)
    assert code == 2
    assert "n_clusters must be >= 1" in stderr and stderr.count("error") == 1
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["kmeans_moons.gif"]


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
    for word in ("render", "run", "list", "scenes"):
        assert word in result.stdout
