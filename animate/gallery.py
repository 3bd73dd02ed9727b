"""The gallery page: ``output/index.html``, one entry per rendered scene.

Plain HTML and a little inline CSS, no scripts and nothing fetched from
elsewhere, so the folder works opened from disk or copied to any static host.
Each entry shows the GIF, its title and description, the command that renders
it again and an ``<img>`` tag to paste into a blog post. The page depends only
on the scenes and their GIFs (no dates), so an unchanged gallery gives the same
bytes and a clean ``git diff``.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import quote

from PIL import Image

from animate.encode import atomic_write

TITLE = "clustergif gallery"

_CSS = """\
body { font: 16px/1.5 system-ui, sans-serif; color: #222; background: #fff;
       max-width: 90rem; margin: 0 auto; padding: 1rem; }
main { display: grid; gap: 1.5rem;
       grid-template-columns: repeat(auto-fill, minmax(min(100%, 30rem), 1fr)); }
article { min-width: 0; border: 1px solid #ddd; border-radius: 6px; padding: 1rem; }
img { display: block; max-width: 100%; height: auto; }
h2 { font-size: 1.2rem; margin: 0.75rem 0 0.25rem; }
h3 { font-size: 0.9rem; margin: 0.75rem 0 0.25rem; color: #555; }
pre { overflow-x: auto; background: #f4f4f4; padding: 0.5rem; margin: 0; }
code { font-size: 0.85rem; }
"""


def write_index(scenes, out_dir):
    """Write ``out_dir/index.html``, a page showing ``scenes``, and return its path.

    Parameters
    ----------
    scenes : list of animate.scenes.Scene
        Loaded scenes whose GIF (``scene.output``) is already in ``out_dir``,
        in the order the page shows them.
    out_dir : str or Path
        The gallery folder; the page's image links are relative to it.

    Returns
    -------
    Path
        ``out_dir / "index.html"``, written whole or not at all.
    """
    path = Path(out_dir) / "index.html"
    page = index_html(scenes, out_dir)
    atomic_write(
        path,
        lambda tmp: Path(tmp).write_text(page, encoding="utf-8", newline="\n"),
        replaces=("html",),
    )
    return path


def index_html(scenes, out_dir):
    """The text of the gallery page for ``scenes`` (see :func:`write_index`)."""
    entries = "".join(_entry(scene, Path(out_dir)) for scene in scenes)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{TITLE}</title>\n<style>\n{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{TITLE}</h1>\n"
        "<p>Clustering algorithms, step by step. Made by <code>clustergif</code>, which "
        "renders every scene in <code>scenes/</code> into this folder.</p>\n"
        f"<main>\n{entries}</main>\n</body>\n</html>\n"
    )


def _entry(scene, out_dir):
    with Image.open(out_dir / scene.output) as gif:
        width, height = gif.size
    img = (
        f'<img src="{escape(quote(Path(scene.output).as_posix()))}" alt="{escape(scene.title)}" '
        f'width="{width}" height="{height}" loading="lazy">'
    )
    # The command names scenes/<file>: the page documents the gallery, which
    # is always rendered from ./scenes.
    command = f"clustergif render scenes/{Path(scene.path).name}"
    description = f"<p>{escape(scene.description)}</p>\n" if scene.description else ""
    return (
        f'<article id="{escape(Path(scene.path).stem)}">\n'
        f"<h2>{escape(scene.title)}</h2>\n{img}\n{description}"
        f"<h3>Render it again</h3>\n<pre><code>{escape(command)}</code></pre>\n"
        f"<h3>Embed it</h3>\n<pre><code>{escape(img)}</code></pre>\n"
        "</article>\n"
    )
