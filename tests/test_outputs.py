"""Writers by file suffix: the GIF shows the quantised frames (no larger than gifsicle -O3
makes it); WebP, APNG and MP4 match the GIF."""

import importlib.util
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import animate
from animate import encode, writers
from animate.cli import main
from animate.render import frames as render_frames

HAS_FFMPEG = importlib.util.find_spec("imageio_ffmpeg") is not None
needs_ffmpeg = pytest.mark.skipif(
    not HAS_FFMPEG, reason="imageio-ffmpeg is not installed (pip install clustergif[video])"
)


@pytest.fixture(scope="module")
def trace():
    X, y = animate.datasets.make("blobs", n_samples=80, centers=3, random_state=1)
    # Random starts travel far enough for several frames: steps that move the centres
    # by less than a few pixels get none.
    return animate.run("kmeans", X, y=y, n_clusters=3, init="random", random_state=3)


@pytest.fixture(scope="module")
def rendered(trace, tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    extra = ["webp", "apng", *(["mp4"] if HAS_FFMPEG else [])]
    return animate.render(trace, folder / "k.gif", size=(240, 200), side_panel=False, formats=extra)


def _frames_and_durations(path):
    with Image.open(path) as image:
        durations = []
        for i in range(image.n_frames):
            image.seek(i)
            image.load()  # WebP reads a frame's duration when it decodes it
            durations.append(int(image.info["duration"]))
        return durations, image.info.get("loop")


def _decoded(path):
    """Every frame of a GIF as pillow shows it (RGB), identical neighbours merged, with
    the durations and the loop count."""
    frames, durations = [], []
    with Image.open(path) as gif:
        loop = gif.info.get("loop")
        for i in range(gif.n_frames):
            gif.seek(i)
            rgb = np.asarray(gif.convert("RGB"))
            if frames and np.array_equal(frames[-1], rgb):
                durations[-1] += gif.info["duration"]
            else:
                frames.append(rgb)
                durations.append(gif.info["duration"])
    return frames, durations, loop


def _quantised(frames, durations):
    """What the GIF must show: each frame in its palette colours, repeats merged."""
    samples = [frames[i] for i in encode.sample_indices(len(frames))]
    palette = encode.palette_for(samples)
    indexed = encode.IndexedFrames(palette)
    for frame in frames:
        indexed.add(frame)
    shown, merged = [], []
    for (indices, own), duration in zip(indexed, durations):
        rgb = (palette if own is None else own)[indices]
        if shown and np.array_equal(shown[-1], rgb):
            merged[-1] += duration
        else:
            shown.append(rgb)
            merged.append(duration)
    return shown, merged


def _pillow_gif(frames, durations, path):
    """The same palette indices through pillow's own writer (what we wrote before)."""
    samples = [frames[i] for i in encode.sample_indices(len(frames))]
    palette = encode.palette_for(samples)
    indexed = encode.IndexedFrames(palette)
    for frame in frames:
        indexed.add(frame)
    images = []
    for indices, own in indexed:
        image = Image.fromarray(indices, mode="P")
        image.putpalette((palette if own is None else own).tobytes())
        images.append(image)
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        duration=list(durations),
        loop=0,
        optimize=True,
        disposal=1,
    )


def _check_gif(frames, durations, path):
    encode.write_gif(frames, durations, path)
    shown, merged = _quantised(frames, durations)
    decoded, decoded_durations, loop = _decoded(path)
    assert loop == 0 and decoded_durations == merged
    assert len(decoded) == len(shown)
    for rgb, expected in zip(decoded, shown):
        np.testing.assert_array_equal(rgb, expected)


@pytest.fixture(scope="module")
def kmeans_frames(trace):
    frames, durations = zip(*render_frames([trace], size=(240, 200)))
    # A repeated frame (merged into one longer frame) and a repeated run at the end.
    frames = [*frames[:3], frames[2], *frames[3:], frames[-1]]
    durations = [*durations[:3], 700, *durations[3:], 900]
    return frames, durations


def test_gif_shows_every_quantised_frame_for_its_duration(kmeans_frames, tmp_path):
    _check_gif(*kmeans_frames, tmp_path / "k.gif")


def test_gif_is_deterministic_and_smaller_than_pillows(kmeans_frames, tmp_path):
    encode.write_gif(*kmeans_frames, tmp_path / "a.gif")
    encode.write_gif(*kmeans_frames, tmp_path / "b.gif")
    _pillow_gif(*kmeans_frames, tmp_path / "pillow.gif")
    ours = (tmp_path / "a.gif").read_bytes()
    assert ours == (tmp_path / "b.gif").read_bytes()
    assert len(ours) < 0.9 * (tmp_path / "pillow.gif").stat().st_size


def test_gif_compressed_in_threads_is_the_one_compressed_in_order():
    from concurrent.futures import ThreadPoolExecutor

    X, _ = animate.datasets.make("blobs", n_samples=300, centers=4, random_state=0)
    trace = animate.run("kmeans", X, n_clusters=4, init=X[:4])
    frames, durations = zip(*render_frames([trace], size=(400, 360), every_step=True))
    palette = encode.palette_for(frames)
    indexed = encode.IndexedFrames(palette)
    for frame in frames:
        indexed.add(frame)
    written = []
    for pool in (None, ThreadPoolExecutor(3)):
        out = io.BytesIO()
        gif = encode.GifEncoder(out, palette, indexed.colour_order(), pool)
        for (indices, own), duration in zip(indexed, durations):
            gif.add(indices, duration, own)
        gif.close()
        written.append(out.getvalue())
    assert written[0] == written[1] and written[0].startswith(b"GIF89a")


@pytest.mark.skipif(shutil.which("gifsicle") is None, reason="gifsicle is not installed")
def test_gif_is_no_larger_than_gifsicle_makes_it(kmeans_frames, tmp_path):
    encode.write_gif(*kmeans_frames, tmp_path / "k.gif")
    subprocess.run(
        ["gifsicle", "-O3", str(tmp_path / "k.gif"), "-o", str(tmp_path / "o3.gif")], check=True
    )
    assert (tmp_path / "k.gif").stat().st_size <= (tmp_path / "o3.gif").stat().st_size
    assert _decoded(tmp_path / "k.gif")[1] == _decoded(tmp_path / "o3.gif")[1]


@pytest.mark.parametrize("colours", [2, 40, 250])
def test_gif_shows_few_and_many_colours_exactly(tmp_path, colours):
    # Two colours: tiny tables; 250: no room left for a transparent index. Colours
    # that only unchanged pixels show, identical frames at the start and end.
    rng = np.random.default_rng(colours)
    frames = [np.full((30, 40, 3), 255, np.uint8) for _ in range(7)]
    for i, frame in enumerate(frames[1:-1], start=1):
        frame[i : i + 9, 2 * i : 2 * i + 11] = rng.integers(0, 256, (colours, 3))[
            rng.integers(0, colours, (9, 11))
        ]
    frames.insert(1, frames[0])
    durations = [100 + 10 * i for i in range(len(frames))]
    _check_gif(frames, durations, tmp_path / "c.gif")


def test_a_single_frame_gif_is_a_still_image(tmp_path):
    frame = np.full((20, 30, 3), 255, np.uint8)
    frame[5:9] = (0, 114, 178)
    encode.write_gif([frame, frame], [200, 200], tmp_path / "one.gif")
    with Image.open(tmp_path / "one.gif") as gif:
        assert gif.n_frames == 1 and gif.info["duration"] == 400
        assert "loop" not in gif.info
        assert np.array_equal(np.asarray(gif.convert("RGB")), frame)


@pytest.mark.parametrize("suffix", [".webp", ".apng"])
def test_webp_and_apng_match_the_gif_frame_for_frame(rendered, suffix):
    gif_durations, gif_loop = _frames_and_durations(rendered)
    other = rendered.with_suffix(suffix)
    assert other in rendered.others
    durations, loop = _frames_and_durations(other)
    assert durations == gif_durations and loop == gif_loop == 0
    assert len(durations) > 3


@pytest.mark.parametrize("suffix", [".webp", ".apng"])
def test_lossless_formats_show_the_rendered_pixels(trace, rendered, suffix):
    frames = [f for f, _ in render_frames([trace], size=(240, 200))]
    with Image.open(rendered.with_suffix(suffix)) as image:
        image.seek(image.n_frames - 1)
        last = np.asarray(image.convert("RGB"))
    assert np.array_equal(last, frames[-1])


@needs_ffmpeg
def test_mp4_repeats_frames_to_honour_the_durations(rendered):
    import imageio.v2 as imageio

    gif_durations, _ = _frames_and_durations(rendered)
    reader = imageio.get_reader(rendered.with_suffix(".mp4"))
    try:
        meta = reader.get_meta_data()
        count = reader.count_frames()
        first = reader.get_data(0)
    finally:
        reader.close()
    assert meta["fps"] == writers.MP4Writer.fps and meta["codec"] == "h264"
    assert "yuv420p" in meta["pix_fmt"]
    assert count * 1000 / meta["fps"] == sum(gif_durations)
    assert first.shape == (200, 240, 3)


def test_mp4_pads_odd_sizes_to_even():
    frame = np.zeros((5, 7, 3), np.uint8)
    assert writers._even(frame).shape == (6, 8, 3)
    assert writers._even(frame)[-1, -1].tolist() == [255, 255, 255]


def test_missing_video_extra_is_a_one_line_error_naming_the_extra(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "imageio_ffmpeg" else real(name, *a),
    )
    with pytest.raises(animate.UserError, match=r"pip install clustergif\[video\]") as error:
        writers.writer_for(tmp_path / "x.mp4")
    assert "\n" not in str(error.value)


def test_unknown_suffix_exits_2_with_one_line_before_running(tmp_path, capsys, monkeypatch):
    def no_run(*args, **kwargs):
        raise AssertionError("the algorithm ran before the suffix was checked")

    monkeypatch.setattr(animate, "run", no_run)
    monkeypatch.chdir(tmp_path)
    code = main(["run", "kmeans", "--dataset", "blobs", "-o", "x.xyz"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "'.xyz'" in err and ".webp" in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_in_a_list_is_refused(tmp_path, trace):
    with pytest.raises(animate.UserError, match="unknown format 'bmp'"):
        animate.render(trace, tmp_path / "k.gif", formats=["webp", "bmp"])
    assert list(tmp_path.iterdir()) == []


def test_a_failing_format_leaves_none_of_the_files(tmp_path, trace, monkeypatch):
    def broken(self):
        raise OSError("disk full")

    monkeypatch.setattr(writers.WebPWriter, "finish", broken)
    with pytest.raises(animate.UserError, match=r"cannot write .*disk full"):
        animate.render(trace, tmp_path / "k.gif", size=(240, 200), formats=["apng", "webp"])
    assert list(tmp_path.iterdir()) == []


def test_cli_run_writes_the_format_of_the_suffix_and_more_formats(tmp_path, capsys):
    data = ["--dataset", "blobs", "--n-samples", "60", "--size", "240x200"]
    data += ["--set", "init='random'"]
    code = main(["run", "kmeans", *data, "-o", str(tmp_path / "x.webp"), "--format", "apng"])
    assert code == 0
    assert "x.apng" in capsys.readouterr().out
    with Image.open(tmp_path / "x.webp") as webp, Image.open(tmp_path / "x.apng") as apng:
        assert webp.format == "WEBP" and apng.format == "PNG" and apng.n_frames > 3


def test_scene_formats_write_beside_the_output_and_bad_ones_fail_at_load(tmp_path):
    scene = tmp_path / "s.toml"
    scene.write_text(
        'title = "t"\nformats = ["webp"]\n[data]\nname = "blobs"\nn_samples = 40\n'
        '[algorithm]\nname = "kmeans"\nn_clusters = 2\n[render]\nsize = [200, 160]\n'
        "max_frames = 4\n"
    )
    written = animate.load_scene(scene).render(tmp_path / "out", formats=["apng"])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["s.apng", "s.gif", "s.webp"]
    assert written.others == [tmp_path / "out" / "s.webp", tmp_path / "out" / "s.apng"]
    scene.write_text(scene.read_text().replace('["webp"]', '["webm"]'))
    with pytest.raises(animate.UserError, match=r"s\.toml.*unknown format 'webm'"):
        animate.load_scene(scene)


def test_apng_chunks_are_well_formed(rendered):
    data = Path(rendered.with_suffix(".apng")).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    assert data.count(b"fcTL") == int.from_bytes(data[data.index(b"acTL") + 4 :][:4], "big")


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".apng"])
def test_a_repeated_frame_lengthens_the_one_before(tmp_path, suffix):
    a = np.full((16, 24, 3), 255, np.uint8)
    b = a.copy()
    b[4:9, 3:20] = (213, 94, 0)
    path = tmp_path / f"r{suffix}"
    writers.write(zip([a, a, b, b, b], [100, 200, 300, 40, 60]), [path])
    assert _frames_and_durations(path) == ([300, 400], 0)


def test_describe_says_what_is_shown_and_how_it_ends_with_numbers():
    X, y = animate.datasets.make("gaussians4", n_samples=300, random_state=0)
    trace = animate.run("kmeans", X, y=y, n_clusters=4, random_state=0)
    text = animate.describe(trace)
    first, last = trace.steps[1].inertia, trace.final.inertia
    assert text.startswith("K-means asked for 4 clusters on 300 points: converges after ")
    assert f"{trace.n_iter} iterations with 4 clusters" in text
    assert f"falls from {first:,.0f} to {last:,.0f}" in text
    assert "adjusted Rand index" in text


def test_describe_counts_noise_and_names_what_differs_between_panels():
    X, _ = animate.datasets.make("moons", n_samples=200, noise=0.1, random_state=0)
    loose, tight = animate.run("dbscan", X, eps=0.3), animate.run("dbscan", X, eps=0.1)
    noise = int((tight.final.labels < 0).sum())
    text = animate.describe([loose, tight])
    assert text.startswith("2 clustering animations side by side on the same data.")
    assert "1. DBSCAN, eps 0.3, on 200 points" in text
    assert f"{noise} noise points" in text and "ARI" not in text


def test_scene_alt_overrides_the_description(tmp_path):
    scene = tmp_path / "s.toml"
    scene.write_text(
        'title = "t"\nalt = "Four clouds, four centres."\n[data]\nname = "blobs"\n'
        'n_samples = 40\n[algorithm]\nname = "kmeans"\n[render]\nsize = [200, 160]\n'
        "max_frames = 4\n"
    )
    written = animate.load_scene(scene).render(tmp_path)
    assert written.alt == "Four clouds, four centres."
    assert 'alt="Four clouds, four centres."' in written._repr_html_()


def test_storyboard_draws_first_key_and_last_steps_captioned(tmp_path):
    from animate.storyboard import FRAME_SIZE

    X, _ = animate.datasets.make("gaussians4", n_samples=200, random_state=0)
    trace = animate.run("kmeans", X, n_clusters=4, init=X[[0, 1, 2, 3]])
    assert len(trace.steps) > 6
    path = animate.storyboard(trace, tmp_path / "board.png", panels=6, cols=3)
    with Image.open(path) as board:
        width, height = board.size
        pixels = np.asarray(board.convert("RGB"))
    assert width > 3 * FRAME_SIZE[0] and 2 * FRAME_SIZE[1] < height < 3 * FRAME_SIZE[1]
    # Six pictures: two rows of three with ink in every cell.
    for row in range(2):
        for col in range(3):
            y = 8 + 34 + row * (FRAME_SIZE[1] + 26 + 8)
            x = 8 + col * (FRAME_SIZE[0] + 8)
            cell = pixels[y : y + FRAME_SIZE[1], x : x + FRAME_SIZE[0]]
            assert (cell < 100).any() and (cell == 255).mean() > 0.3
    assert list(tmp_path.iterdir()) == [path]


def test_key_steps_keep_the_ends_and_the_steps_the_painter_lingers_on():
    from types import SimpleNamespace

    from animate.storyboard import key_steps
    from animate.trace import Step

    labels = np.zeros(10, int)
    moved = labels.copy()
    moved[:6] = 1
    steps = [Step(i, "step", moved if i >= 7 else labels, "") for i in range(12)]
    painter = SimpleNamespace(
        trace=SimpleNamespace(steps=steps), weight=lambda i: 3.0 if i == 4 else 1.0
    )
    assert key_steps(painter, list(range(12)), 4) == [0, 4, 7, 11]
    assert key_steps(painter, [0, 5, 11], 4) == [0, 5, 11]


def test_storyboard_refuses_other_suffixes_and_panel_counts(trace, tmp_path):
    with pytest.raises(animate.UserError, match=r"board\.png"):
        animate.storyboard(trace, tmp_path / "board.gif")
    with pytest.raises(animate.UserError, match="from 2 to 12"):
        animate.storyboard(trace, tmp_path / "board.png", panels=20)


def test_clustergif_storyboard_draws_one_beside_each_scene(tmp_path, capsys, monkeypatch):
    from helpers import tiny_scene

    tiny_scene(tmp_path / "scenes", "a")
    tiny_scene(tmp_path / "scenes", "b", dataset="moons")
    monkeypatch.chdir(tmp_path)
    assert main(["-q", "-j", "1", "--storyboard"]) == 0
    names = sorted(p.name for p in (tmp_path / "output").iterdir())
    assert names == ["a.gif", "a_storyboard.png", "b.gif", "b_storyboard.png", "index.html"]


def test_gif_shows_a_shared_palette_frame_after_a_photo_frame(tmp_path):
    # A photo frame (flat blocks of 800 colours: a palette of its own), then the same
    # frame with the photo gone: the band of blue that did not change keeps its colour.
    rng = np.random.default_rng(3)
    photo = np.full((160, 160, 3), 255, np.uint8)
    blocks = rng.integers(0, 256, (40, 20, 3), dtype=np.uint8)
    photo[:, :80] = np.kron(blocks, np.ones((4, 4, 1), np.uint8))
    photo[10:30, 100:140] = (0, 114, 178)
    plain = photo.copy()
    plain[:, :80] = 255
    palette = encode.palette_for([photo, plain])
    assert encode.frame_palette(photo, palette) is not palette
    _check_gif([photo, plain, photo, plain], [100, 200, 300, 400], tmp_path / "p.gif")


@pytest.mark.parametrize("raw_frames", [0, 2, 10])
def test_the_frame_store_gives_back_every_frame_kept_raw_or_compressed(raw_frames, monkeypatch):
    # The first frames stay as they are up to RAW_BYTES, the rest are compressed
    # differences; either way each frame comes back exactly, alone or among others.
    rng = np.random.default_rng(0)
    added = [rng.integers(0, 4, (6, 5, 3), dtype=np.uint8) for _ in range(6)]
    monkeypatch.setattr(writers.FrameStore, "RAW_BYTES", raw_frames * added[0].nbytes)
    store, buffer = writers.FrameStore(), np.empty_like(added[0])
    for i, frame in enumerate(added):
        buffer[:] = frame
        store.add(buffer, 100 + i)
    buffer[:] = 255  # the caller reuses its buffer: the store kept what it was
    got = list(store)
    assert len(got) == len(store) == 6 and store.durations == [100 + i for i in range(6)]
    for frame, original in zip(got, added):
        np.testing.assert_array_equal(frame, original)
    for frame, original in zip(store.frames([1, 4]), [added[1], added[4]]):
        np.testing.assert_array_equal(frame, original)
