"""Bring your own: scenes that ship with the package, DataFrames, estimators, CLI conventions."""

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from animate import scenes
from animate.cli import main

from helpers import tiny_scene

ROOT = Path(__file__).resolve().parents[1]


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# Scenes that ship with the package ------------------------------------------------------


def test_the_built_in_scenes_are_the_repository_scenes():
    # animate/_scenes links to scenes/: one source, shipped in the wheel as files.
    names = [p.name for p in scenes.scene_files(scenes.builtin_dir())]
    assert names == [p.name for p in scenes.scene_files(ROOT / "scenes")]
    assert "kmeans.toml" in names


def test_without_scenes_here_clustergif_renders_the_built_in_gallery(tmp_path, monkeypatch, capsys):
    builtin = tmp_path / "builtin"
    tiny_scene(builtin, "tiny")
    monkeypatch.setattr(scenes, "builtin_dir", lambda: builtin)
    monkeypatch.chdir(tmp_path / "builtin")  # no ./scenes in it
    code, out, err = _run(["--jobs", "1"], capsys)
    assert code == 0, err
    assert out.splitlines()[0].startswith("rendering 1 scenes from the built-in gallery")
    assert (tmp_path / "builtin" / "output" / "tiny.gif").exists()
    assert (tmp_path / "builtin" / "output" / "index.html").exists()


def test_scenes_here_win_over_the_built_in_ones(tmp_path, monkeypatch, capsys):
    tiny_scene(tmp_path / "builtin", "builtin_one")
    tiny_scene(tmp_path / "scenes", "mine")
    monkeypatch.setattr(scenes, "builtin_dir", lambda: tmp_path / "builtin")
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["--jobs", "1"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "rendering 1 scenes from ./scenes"
    assert sorted(p.name for p in (tmp_path / "output").glob("*.gif")) == ["mine.gif"]
    code, out, _ = _run(["list"], capsys)
    assert "scenes (./scenes):" in out and "mine.toml" in out and "builtin_one" not in out


def test_list_shows_the_built_in_scenes_from_an_empty_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["list"], capsys)
    assert code == 0
    assert "scenes (the built-in gallery):" in out
    assert "kmeans.toml" in out and "k-means in action" in out


def test_init_copies_the_built_in_scenes_and_never_overwrites(tmp_path, capsys):
    target = tmp_path / "my course"
    code, _, _ = _run(["init", str(target)], capsys)
    assert code == 0
    copied = sorted(p.name for p in (target / "scenes").glob("*.toml"))
    assert copied == [p.name for p in scenes.scene_files(scenes.builtin_dir())]
    edited = target / "scenes" / "kmeans.toml"
    edited.write_text("title = 'mine'\n", encoding="utf-8")
    code, _, err = _run(["init", str(target)], capsys)
    assert code == 2
    assert "already exists" in err and len(err.strip().splitlines()) == 1
    assert edited.read_text(encoding="utf-8") == "title = 'mine'\n"


def test_init_defaults_to_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["init"], capsys)
    assert code == 0 and (tmp_path / "scenes" / "kmeans.toml").exists()
    assert "copied" in out


def _venv_with_wheel(tmp_path):
    """A fresh venv holding the wheel built from this checkout; dependencies are borrowed."""
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, ROOT],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        pytest.skip(f"cannot build the wheel here (offline?): {build.stderr[-300:]}")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The test venv's packages, appended as a plain path: its .pth files (the
    # editable install of this checkout) are not read, so `animate` is the wheel's.
    borrowed = next(p for p in sys.path if p.endswith("site-packages"))
    Path(site, "borrowed.pth").write_text(borrowed + "\n", encoding="utf-8")
    (wheel,) = wheels.glob("clustergif-*.whl")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, wheel],
        check=True,
    )
    return python


@pytest.mark.slow
def test_the_wheel_ships_the_scenes_and_renders_them_from_an_empty_folder(tmp_path):
    python = _venv_with_wheel(tmp_path)
    empty = tmp_path / "empty folder é"
    empty.mkdir()

    def run(*args):
        return subprocess.run(args, cwd=empty, capture_output=True, text=True, check=True).stdout

    where = run(python, "-c", "import animate; print(animate.__file__)")
    assert str(tmp_path / "venv") in where
    assert "kmeans.toml" in run(python, "-m", "animate", "list")
    render = "from animate.scenes import builtin_dir, load_scene; "
    render += "print(load_scene(builtin_dir() / 'kmeans_moons.toml').render('output'))"
    assert "kmeans_moons.gif" in run(python, "-c", render)
    assert (empty / "output" / "kmeans_moons.gif").stat().st_size > 10_000
    run(python, "-m", "animate", "init")
    for scene in (empty / "scenes").glob("*.toml"):
        if scene.name != "kmeans_moons.toml":
            scene.unlink()
    out = run(python, "-m", "animate", "--jobs", "1")
    assert "from ./scenes" in out and (empty / "output" / "index.html").exists()
