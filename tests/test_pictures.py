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
    trace = animate.run("kmeans", data.X, n_clusters=3, **datasets.kind_of(data))
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
