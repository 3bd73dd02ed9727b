"""Pictures as data: a photo's pixels, handwritten digits; their painters and scenes."""

import numpy as np
import pytest
from PIL import Image

import animate
from animate import datasets
from animate.cli import main
from animate.errors import UserError
from animate.trace import Trace


def _png(path, size=(30, 20), seed=0):
    rgb = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path)
    return rgb


def test_photo_of_a_users_png_is_its_pixels_in_0_1_with_its_shape(tmp_path):
    rgb = _png(tmp_path / "mine.png")
    data = datasets.make("photo", image=str(tmp_path / "mine.png"))
    X, y = data
    assert (data.kind, data.image_shape, y) == ("photo", (20, 30), None)
    np.testing.assert_array_equal(X, rgb.reshape(-1, 3) / 255.0)


def test_photo_is_downscaled_to_max_pixels_keeping_its_aspect():
    data = datasets.make("photo", image="china.jpg", max_pixels=10_000)
    h, w = data.image_shape
    assert h * w <= 10_000 and len(data.X) == h * w
    assert abs(w / h - 640 / 427) < 0.02
    assert data.X.min() >= 0.0 and data.X.max() <= 1.0


@pytest.mark.parametrize("content", [b"", b"not a picture at all", b"\x89PNG\r\n\x1a\nbroken"])
def test_a_file_that_is_not_a_picture_is_one_user_error(tmp_path, content):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(UserError, match=r"cannot read .*bad.png as a picture"):
        datasets.make("photo", image=str(path))


def test_a_missing_picture_is_one_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        datasets.make("photo", image=str(tmp_path / "nowhere.jpg"))


def test_digits_are_64_pixel_rows_of_8x8_pictures_with_true_labels():
    data = datasets.make("digits")
    assert data.X.shape == (1797, 64) and data.image_shape == (8, 8) and data.kind == "digits"
    assert sorted(set(data.y)) == list(range(10))
    embedded = datasets.make("digits", embed="pca")
    assert embedded.X.shape == (1797, 2) and embedded.image_shape is None
    np.testing.assert_array_equal(embedded.y, data.y)
    with pytest.raises(UserError, match="embed must be one of"):
        datasets.make("digits", embed="umap")


def test_the_data_kind_travels_with_the_trace_through_save_and_load(tmp_path):
    data = datasets.make("photo", image="flower.jpg", max_pixels=600)
    trace = animate.run("kmeans", data, n_clusters=3)
    assert (trace.data_kind, trace.image_shape) == ("photo", data.image_shape)
    trace.save(tmp_path / "t.npz")
    back = Trace.load(tmp_path / "t.npz")
    assert (back.data_kind, back.image_shape) == ("photo", data.image_shape)
    plain = animate.run("kmeans", *datasets.make("blobs")[:1], n_clusters=3)
    assert (plain.data_kind, plain.image_shape) == ("points", None)


def test_cli_takes_the_picture_through_set_and_fails_in_one_line(tmp_path, capsys):
    _png(tmp_path / "my.png", size=(24, 16))
    out = tmp_path / "my.gif"
    args = ["run", "kmeans", "--dataset", "photo", "--set", f"image={tmp_path / 'my.png'}"]
    assert main([*args, "--set", "n_clusters=4", "-o", str(out), "-q"]) == 0
    assert out.exists()
    (tmp_path / "bad.png").write_text("hello")
    bad = ["run", "kmeans", "--dataset", "photo", "--set", f"image={tmp_path / 'bad.png'}"]
    assert main([*bad, "-o", str(tmp_path / "bad.gif")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "as a picture" in err
    assert not (tmp_path / "bad.gif").exists()


# Painters ---------------------------------------------------------------------------------


def _photo_trace(k=4, max_pixels=2400, image="china.jpg"):
    data = datasets.make("photo", image=image, max_pixels=max_pixels)
    return animate.run("kmeans", data, n_clusters=k)


def test_pictures_choose_their_painter_by_kind_for_kmeans_and_minibatch():
    from animate.render.painters import painter_for
    from animate.render.painters.digits import DigitsPainter
    from animate.render.painters.kmeans import KMeansPainter
    from animate.render.painters.photo import PhotoPainter

    assert painter_for("kmeans", "photo") is PhotoPainter
    assert painter_for("minibatch", "photo") is PhotoPainter
    assert painter_for("kmeans", "digits") is DigitsPainter
    assert painter_for("kmeans", "points") is KMeansPainter
    assert painter_for("kmeans") is KMeansPainter


def test_photo_centres_equal_scikit_learns_kmeans_on_the_same_pixels():
    from sklearn.cluster import KMeans

    trace = _photo_trace(k=8)
    reference = KMeans(n_clusters=8, random_state=0).fit(trace.X)
    np.testing.assert_allclose(trace.final.centers, reference.cluster_centers_, atol=1e-9)
    np.testing.assert_array_equal(trace.final.labels, reference.labels_)


def test_recoloured_photo_is_centres_of_labels_pixel_for_pixel():
    from animate.render.painters.photo import rgb_bytes

    from helpers import paint

    trace = _photo_trace(k=5)
    painter, frame = paint(trace, size=(800, 440), side=True)
    shape = (*trace.image_shape, 3)
    original = frame(0)
    np.testing.assert_array_equal(painter.image.get_array(), rgb_bytes(trace.X).reshape(shape))
    box = painter.image.get_window_extent()
    rows = slice(int(440 - box.y1) + 1, int(440 - box.y0) - 1)
    cols = slice(int(box.x0) + 1, int(box.x1) - 1)
    assert len(np.unique(original[rows, cols].reshape(-1, 3), axis=0)) > 50
    for index in range(1, len(trace.steps)):
        step = trace.steps[index]
        image = frame(index)
        expected = rgb_bytes(step.centers[step.labels]).reshape(shape)
        np.testing.assert_array_equal(painter.picture(index), expected)
        np.testing.assert_array_equal(painter.image.get_array(), expected)
        shown = np.unique(image[rows, cols].reshape(-1, 3), axis=0)
        np.testing.assert_array_equal(shown, np.unique(expected.reshape(-1, 3), axis=0))


def test_minibatch_traces_on_a_photo_are_drawn_recoloured_too():
    from animate.render.painters.photo import PhotoPainter, rgb_bytes

    from helpers import paint

    data = datasets.make("photo", image="flower.jpg", max_pixels=3000)
    trace = animate.run("minibatch", data, n_clusters=6, batch_size=256)
    painter, frame = paint(trace, size=(800, 440), side=True)
    assert isinstance(painter, PhotoPainter)
    last = len(trace.steps) - 1
    frame(last)
    expected = rgb_bytes(trace.final.centers[trace.final.labels]).reshape(*data.image_shape, 3)
    np.testing.assert_array_equal(painter.image.get_array(), expected)
    assert "6 colours" in painter.status(last) and "original" in painter.status(0)


def test_the_gif_keeps_every_recoloured_photos_k_colours_exactly(tmp_path):
    from PIL import ImageSequence

    from animate.render import frames, render
    from animate.render.painters.photo import rgb_bytes

    trace = _photo_trace(k=12, max_pixels=6000)
    drawn = [f for f, _ in frames([trace], size=(800, 440), side_panel=True)]
    with Image.open(render(trace, tmp_path / "p.gif", size=(800, 440))) as gif:
        decoded = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]
    assert len(decoded) == len(drawn)
    for index in range(1, len(drawn)):
        centres = rgb_bytes(trace.steps[index].centers)
        mask = (drawn[index][:, :, None, :] == centres[None, None]).all(-1).any(-1)
        assert mask.sum() > 6000
        np.testing.assert_array_equal(decoded[index][mask], drawn[index][mask])


def test_compressed_size_is_a_palette_and_an_index_per_pixel():
    from animate.render.painters.photo import compressed_bytes

    assert compressed_bytes(1000, 16) == 48 + 500
    assert compressed_bytes(1000, 2) == 6 + 125
    assert compressed_bytes(1000, 64) == 192 + 750


def test_digits_accuracy_and_confusion_equal_scikit_learns_after_matching():
    from sklearn.cluster import KMeans
    from sklearn.metrics import confusion_matrix

    from animate.metrics import matched_confusion

    X, y = datasets.make("digits")
    trace = animate.run("kmeans", X, y=y, n_clusters=10, n_init=3)
    reference = KMeans(n_clusters=10, random_state=0, n_init=3).fit(X)
    np.testing.assert_array_equal(trace.final.labels, reference.labels_)
    matrix, accuracy, mapping = matched_confusion(y, trace.final.labels)
    assert sorted(mapping) == list(range(10))
    np.testing.assert_array_equal(matrix, confusion_matrix(y, mapping[reference.labels_]))
    assert accuracy == np.trace(matrix) / len(y) == np.mean(mapping[reference.labels_] == y)
    # Any other one-to-one pairing of clusters and digits is no better.
    rng = np.random.default_rng(0)
    for _ in range(200):
        assert np.mean(rng.permutation(10)[trace.final.labels] == y) <= accuracy


def test_matching_leaves_extra_clusters_unmatched():
    from animate.metrics import matched_confusion

    truth = np.array([0, 0, 1, 1, 1, 0])
    matrix, accuracy, mapping = matched_confusion(truth, np.array([2, 2, 0, 0, 1, 2]))
    assert mapping.tolist() == [1, -1, 0]
    assert matrix.tolist() == [[3, 0], [0, 2]] and accuracy == 5 / 6


def test_digits_painter_draws_the_centres_as_pictures_and_the_accuracy_at_the_end():
    from animate.metrics import matched_confusion

    from helpers import paint

    data = datasets.make("digits")
    trace = animate.run("kmeans", data, n_clusters=10)
    painter, frame = paint(trace, size=(900, 480), side=True)
    last = len(trace.steps) - 1
    for index in (0, last):
        frame(index)
        for j, (image, _) in enumerate(painter.pictures):
            np.testing.assert_array_equal(
                image.get_array(), trace.steps[index].centers[j].reshape(8, 8)
            )
    accuracy = matched_confusion(data.y, trace.final.labels)[1]
    assert f"accuracy {accuracy:.1%}" in painter.status(last)
    assert "accuracy" not in painter.status(0)
    assert painter.matrix.get_visible()
    np.testing.assert_array_equal(
        painter.matrix.get_array(), matched_confusion(data.y, trace.final.labels)[0]
    )
    frame(0)
    assert not painter.matrix.get_visible()


# Scenes -----------------------------------------------------------------------------------

SCENES = ("colour_quantisation", "colour_k", "digits")


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENES)
def test_picture_scenes_render_small_looping_gifs(tmp_path, name):
    from pathlib import Path

    from PIL import ImageSequence

    from animate.render.painters.photo import rgb_bytes

    scene = animate.load_scene(Path(__file__).resolve().parents[1] / "scenes" / f"{name}.toml")
    path = scene.render(tmp_path)
    assert path.stat().st_size < 2_000_000
    with Image.open(path) as gif:
        assert gif.info["loop"] == 0
        last = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)][-1]
    if name == "colour_quantisation":
        trace = scene.traces()[0]
        centres = rgb_bytes(trace.final.centers)
        shown = (last[:, :, None, :] == centres[None, None]).all(-1)
        assert shown.any(axis=(0, 1)).all() and shown.any(-1).sum() >= len(trace.X)


def test_tsne_embedding_is_computed_once_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return np.arange(6.0).reshape(3, 2)

    X = np.ones((3, 4))
    first = datasets._cached("tsne-0", X, compute)
    again = datasets._cached("tsne-0", X, compute)
    np.testing.assert_array_equal(first, again)
    assert len(calls) == 1 and len(list((tmp_path / "clustergif").glob("tsne-0-*.npy"))) == 1
    datasets._cached("tsne-0", X + 1, compute)
    assert len(calls) == 2
