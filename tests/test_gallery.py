"""The gallery page: output/index.html after `clustergif`, checked by parsing it."""

from html import escape
from html.parser import HTMLParser

import pytest
from PIL import Image

from animate.cli import main
from animate.gallery import write_index
from animate.scenes import load_scene

from helpers import tiny_scene

_VOID = {"meta", "img", "br", "hr", "link", "input"}


def _scene(folder, name, title, dataset="blobs", n=60):
    description = f"k-means on {n} points & a <small> description."
    return tiny_scene(folder, name, title, description, dataset, n)


class _Page(HTMLParser):
    """Collects images, headings and code blocks, and checks every tag is closed."""

    def __init__(self, text):
        super().__init__()
        self.stack, self.imgs, self.h2, self.code = [], [], [], []
        self.feed(text)
        self.close()
        assert self.stack == [], f"unclosed tags {self.stack}"

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.imgs.append(dict(attrs))
        elif tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"</{tag}> closes nothing open"

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "h2":
            self.h2.append(data)
        elif self.stack[-2:] == ["pre", "code"]:
            self.code.append(data)


def _gallery(tmp_path, monkeypatch, capsys, scenes):
    for name, title, dataset in scenes:
        # "a" is the biggest, so with two processes it tends to finish last.
        _scene(tmp_path / "scenes", name, title, dataset, n=240 if name == "a" else 60)
    monkeypatch.chdir(tmp_path)
    code = main([])
    out, err = capsys.readouterr()
    page = (tmp_path / "output" / "index.html").read_text(encoding="utf-8")
    return code, out, err, page


@pytest.mark.slow
def test_the_gallery_page_shows_every_scene_with_its_command_and_embed_code(
    tmp_path, monkeypatch, capsys
):
    title = 'Tiny "k-means" & <blobs>'
    scenes = [("a", title, "blobs"), ("b", "Moons, tiny", "moons")]
    code, out, err, text = _gallery(tmp_path, monkeypatch, capsys, scenes)
    assert code == 0 and err == ""
    assert "wrote output/index.html" in out
    page = _Page(text)
    assert [img["src"] for img in page.imgs] == ["a.gif", "b.gif"]  # scene-file order
    for img in page.imgs:
        with Image.open(tmp_path / "output" / img["src"]) as gif:
            assert (int(img["width"]), int(img["height"])) == gif.size == (240, 200)
    assert page.h2 == [title, "Moons, tiny"]
    assert [img["alt"] for img in page.imgs] == [title, "Moons, tiny"]
    assert "Tiny &quot;k-means&quot; &amp; &lt;blobs&gt;" in text
    assert "clustergif render scenes/a.toml" in page.code
    assert "clustergif render scenes/b.toml" in page.code
    # The embed snippet is text on the page (not a second live image) and,
    # pasted into a post, is exactly the gallery's own <img> tag.
    snippets = [c for c in page.code if c.startswith("<img")]
    assert len(snippets) == 2 and escape(snippets[0]) in text
    assert _Page(snippets[0]).imgs == [page.imgs[0]]


@pytest.mark.slow
def test_a_broken_scene_is_one_error_line_and_left_out_of_the_page(tmp_path, monkeypatch, capsys):
    scenes = [("a", "Fine", "blobs"), ("broken", "Broken", "spirals")]
    code, out, err, text = _gallery(tmp_path, monkeypatch, capsys, scenes)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("clustergif: error: ")
    assert "broken.toml" in err and "unknown data set 'spirals'" in err
    assert "wrote output/a.gif" in out and "wrote output/index.html" in out
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["a.gif", "index.html"]
    page = _Page(text)
    assert [img["src"] for img in page.imgs] == ["a.gif"]
    assert page.h2 == ["Fine"] and "broken" not in text.lower()


@pytest.mark.slow
def test_the_page_is_the_same_bytes_every_time(tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    scenes = []
    for name, size in (("one", (40, 30)), ("two", (50, 20))):
        scenes.append(load_scene(_scene(tmp_path / "scenes", name, f"Scene {name}")))
        Image.new("P", size).save(out / f"{name}.gif")
    first = write_index(scenes, out).read_bytes()
    second = write_index(scenes, out).read_bytes()
    assert first == second and b'width="50" height="20"' in first
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "one.gif", "two.gif"]
