"""Notebook display: a rendered animation shows itself inline and survives HTML export."""

import base64
import os
import pickle
from pathlib import Path

import pytest

import animate
from animate.display import Animation

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gif(tmp_path_factory):
    X, _ = animate.datasets.make("blobs", n_samples=50, centers=2, random_state=0)
    trace = animate.run("kmeans", X, n_clusters=2)
    return animate.render(trace, tmp_path_factory.mktemp("nb") / "k.gif", size=(200, 160))


def test_render_returns_a_path_that_embeds_itself(gif):
    assert isinstance(gif, Path) and os.fspath(gif).endswith("k.gif") and gif.exists()
    html = gif._repr_html_()
    prefix = '<img src="data:image/gif;base64,'
    assert html.startswith(prefix)
    data = html[len(prefix) : html.index('"', len(prefix))]
    assert base64.b64decode(data) == gif.read_bytes()
    assert f'alt="{gif.alt}"' in html and gif.alt.startswith("K-means asked for 2 clusters on 50")


def test_png_fallback_is_the_first_frame(gif):
    png = gif._repr_png_()
    assert png.startswith(b"\x89PNG")


def test_the_path_survives_pickling_with_its_alt_text(gif):
    # clustergif's worker processes send these back to the parent.
    again = pickle.loads(pickle.dumps(gif))
    assert again == gif and again.alt == gif.alt and type(again) is Animation


def test_trace_and_scene_reprs_are_short():
    X, _ = animate.datasets.make("moons", n_samples=400)
    trace = animate.run("dbscan", X, eps=0.3)
    text = repr(trace)
    assert len(text) < 160 and "dbscan" in text and "400 samples" in text
    scene = animate.load_scene(ROOT / "scenes" / "compare.toml")
    assert repr(scene) == (
        f"Scene('compare.toml', {scene.title!r}, {len(scene.panels)} panels, output='compare.gif')"
    )


def test_an_executed_notebook_shows_the_gif_inline_and_exports_it_to_html(tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient")
    nbconvert = pytest.importorskip("nbconvert", reason="the test extra installs nbconvert")
    pytest.importorskip("ipykernel", reason="the test extra installs ipykernel")
    cells = [
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport animate",
        'X, y = animate.datasets.make("blobs", n_samples=60, centers=3, random_state=0)\n'
        'trace = animate.run("kmeans", X, n_clusters=3)\ntrace',
        'animate.render(trace, "k.gif", size=(240, 200), max_frames=6)',
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    trace_output = notebook.cells[1].outputs[0]["data"]["text/plain"]
    assert trace_output.startswith("<Trace kmeans: 60 samples")
    shown = notebook.cells[2].outputs[0]["data"]
    assert shown["text/html"].startswith('<img src="data:image/gif;base64,R0lGOD')
    assert "image/png" in shown
    alt = shown["text/html"].split('alt="')[1].split('"')[0]
    assert "K-means" in alt and "60 points" in alt
    html, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    images = _images(html)
    assert any(
        a.get("src", "").startswith("data:image/gif;base64,R0lGOD") and a.get("alt") == alt
        for a in images
    )


def _images(html):
    """The attributes of every <img> in ``html``."""
    from html.parser import HTMLParser

    found = []

    class Images(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "img":
                found.append(dict(attrs))

    Images().feed(html)
    return found
