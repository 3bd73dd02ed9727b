"""The dark theme: every colour re-derived, checked in the pixels; and the lean data sets."""

import subprocess
import sys
from html import escape

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image
from test_style import SIMULATIONS, _seen

import animate
from animate.cli import main
from animate.gallery import index_html
from animate.render import style
from animate.scenes import dark_twin, load_scene

from helpers import tiny_scene

SIZE = (320, 300)


def _rgb255(colour):
    return tuple(round(255 * c) for c in to_rgb(colour))


def _contrast(a, b):
    """WCAG 2 contrast ratio of two colours."""

    def luminance(colour):
        c = np.array(to_rgb(colour))
        linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])

    low, high = sorted([luminance(a), luminance(b)])
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(scope="module")
def dark_kmeans():
    """The last frame of a k-means run drawn dark, and its painter (for where things are)."""
    X, y = animate.datasets.make("blobs", n_samples=90, centers=3, random_state=2)
    trace = animate.run("kmeans", X, y=y, n_clusters=3)
    render = sys.modules["animate.render"]
    painters = []
    original = render._painters
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "_painters", lambda *a: painters.extend(original(*a)) or painters)
        frames = list(render.frames([trace], size=SIZE, max_frames=4, theme="dark"))
    return frames[-1][0], painters[0], trace


def test_dark_frames_have_dark_paper_light_ink_and_cluster_colours_at_the_centres(dark_kmeans):
    frame, painter, trace = dark_kmeans
    assert tuple(frame[1, 1]) == tuple(frame[-2, -2]) == _rgb255(style.DARK.background)
    # The title band: its text is the dark theme's ink, and nothing there is dark ink.
    band = frame[:24].reshape(-1, 3).astype(int)
    ink = np.array(_rgb255(style.DARK.ink))
    assert (np.abs(band - ink).max(axis=1) <= 2).sum() >= 20
    assert not (band.sum(axis=1) < 40).any()  # no black (light theme) text
    # Each centre's cross is filled with a cluster colour of the dark palette.
    dark_colours = {_rgb255(c) for c in style.DARK.cluster_colours}
    xy = painter.ax.transData.transform(painter.view.points(trace.final.centers))
    for x, y in xy:
        assert tuple(frame[SIZE[1] - round(y), round(x)]) in dark_colours


def test_a_dark_gif_keeps_its_paper_exact_through_the_palette(tmp_path):
    X, _ = animate.datasets.make("moons", n_samples=40, random_state=0)
    trace = animate.run("kmeans", X, n_clusters=2, max_iter=2)
    path = animate.render(
        trace, tmp_path / "d.gif", size=(240, 200), side_panel=False, max_frames=3, theme="dark"
    )
    with Image.open(path) as gif:
        first = np.asarray(gif.convert("RGB"))
    assert tuple(first[0, 0]) == _rgb255(style.DARK.background)
    # Dark paper, not white, under the axes too (matplotlib's defaults follow the theme).
    assert (first.reshape(-1, 3) == 255).all(axis=1).mean() < 0.01


def test_every_dark_cluster_colour_has_3_to_1_contrast_and_noise_stands_apart():
    dark = style.DARK
    for colour in dark.cluster_colours:
        assert _contrast(colour, dark.background) >= 3.0, colour
    assert _contrast(dark.noise, dark.background) >= 3.0
    for matrix in SIMULATIONS.values():
        for colour in dark.cluster_colours:
            assert np.linalg.norm(_seen(dark.noise, matrix) - _seen(colour, matrix)) >= 20
    # Ink and the status lines' muted ink read well on the paper (WCAG AA, 4.5:1).
    assert _contrast(dark.ink, dark.background) >= 4.5
    assert _contrast(dark.muted, dark.background) >= 4.5


def test_the_style_follows_the_theme_in_use_and_comes_back():
    assert style.BACKGROUND == "#FFFFFF"
    with style.using("dark"):
        assert style.DARK.background == style.BACKGROUND
        assert style.cluster_edge(6) is None
        assert np.allclose(style.tint("#15181D"), to_rgb("#15181D"))
    assert style.INK == "#222222" and style.cluster_edge(6) == "#222222"


def test_a_bad_theme_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "x.gif"
    assert main(["run", "kmeans", "--dataset", "blobs", "--theme", "blue", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown theme 'blue'" in err
    assert not out.exists()
    with pytest.raises(animate.UserError, match="unknown theme 'sepia'"):
        animate.compare([], out, theme="sepia")


def test_a_scene_names_its_theme(tmp_path):
    path = tiny_scene(tmp_path, "a")
    path.write_text('theme = "dark"\n' + path.read_text())
    assert load_scene(path).theme == "dark"
    path.write_text(path.read_text().replace('"dark"', '"dim"'))
    with pytest.raises(animate.UserError, match=r"a\.toml: unknown theme 'dim'"):
        load_scene(path)


def _tiny_gif(path):
    Image.new("RGB", (40, 30), "white").save(path)


def test_the_gallery_offers_the_dark_twin_through_picture(tmp_path):
    scene = load_scene(tiny_scene(tmp_path / "scenes", "a"))
    out = tmp_path / "out"
    out.mkdir()
    _tiny_gif(out / "a.gif")
    assert "<picture>" not in index_html([scene], out)
    _tiny_gif(out / dark_twin("a.gif"))
    page = index_html([scene], out)
    shown = (
        '<picture><source srcset="a_dark.gif" media="(prefers-color-scheme: dark)"><img src="a.gif"'
    )
    assert page.count(shown) == 1  # the image shown
    assert page.count(escape(shown)) == 1  # the embed snippet, the same markup
    assert '<a href="a_dark.gif">dark theme</a>' in page


@pytest.mark.parametrize("seed", [0, 8, 42])
def test_the_data_sets_are_scikit_learns_to_the_bit(seed):
    from sklearn.datasets import make_blobs, make_circles, make_moons

    cases = [
        ("blobs", {"centers": 3, "cluster_std": 0.6}, make_blobs, {}),
        ("blobs", {"centers": 4, "n_features": 3}, make_blobs, {}),
        ("varied", {}, make_blobs, {"centers": 3, "cluster_std": [1.0, 2.5, 0.5]}),
        ("moons", {"noise": 0.1}, make_moons, {}),
        ("circles", {"noise": 0.05, "factor": 0.3}, make_circles, {}),
    ]
    for name, options, reference, extra in cases:
        for n in (7, 301):
            X, y = animate.datasets.make(name, n_samples=n, random_state=seed, **options)
            X_ref, y_ref = reference(n_samples=n, random_state=seed, **options, **extra)
            assert np.array_equal(X, X_ref) and np.array_equal(y, y_ref), (name, n)


def test_the_sample_photos_and_digits_are_scikit_learns():
    from sklearn.datasets import load_digits, load_sample_image

    from animate.datasets import SAMPLE_IMAGES, _open_image

    for name in SAMPLE_IMAGES:
        assert np.array_equal(np.asarray(_open_image(name)), load_sample_image(name))
    X, y = animate.datasets.make("digits")
    digits = load_digits()
    assert np.array_equal(X, digits.data) and np.array_equal(y, digits.target)


def test_making_data_sets_and_a_k_means_gif_does_not_import_scikit_learn(tmp_path):
    # scikit-learn (with pandas, when installed) is 110-140 MB of a render's memory.
    code = (
        "import sys, animate\n"
        "for name in ('blobs', 'moons', 'circles', 'aniso', 'varied', 'photo', 'digits'):\n"
        "    animate.datasets.make(name)\n"
        "X, y = animate.datasets.make('blobs', n_samples=30)\n"
        "trace = animate.run('kmeans', X, y=y, n_clusters=3, max_iter=2)\n"
        "animate.render(trace, sys.argv[1], size=(240, 200), side_panel=False, max_frames=2)\n"
        "print('sklearn' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "k.gif")], capture_output=True, text=True
    )
    assert result.stdout.strip() == "False", result.stderr


def test_the_gif_palette_is_built_on_the_themes_colours():
    from animate.encode import palette_for

    paper = _rgb255(style.DARK.background)
    dark, light = ({tuple(c) for c in palette_for([], t).tolist()} for t in ("dark", "light"))
    assert paper in dark and paper not in light
    # Anti-aliased edges of dark-theme ink fade into the dark paper, not into white.
    ink = np.array(_rgb255(style.DARK.ink), dtype=float)
    assert tuple(np.round(ink * 0.2 + np.array(paper) * 0.8).astype(int).tolist()) in dark
