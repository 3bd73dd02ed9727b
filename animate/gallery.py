"""The gallery page: ``output/index.html``, one entry per rendered scene.

Plain HTML, a little inline CSS and a few lines of inline script (copy
buttons; the page works without them), nothing fetched from elsewhere, so the
folder works opened from disk or copied to any static host. Scenes come in
teaching order (their ``order`` key; scene-file order for the rest), under a
table of contents. Each entry shows the GIF with its descriptive alt text,
its size, links to the other formats rendered beside it, the command that
renders it again and an ``<img>`` tag to paste into a blog post. The page
depends only on the scenes and their files (no dates), so an unchanged gallery
gives the same bytes and a clean ``git diff``.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import quote

from PIL import Image

from animate.encode import atomic_write
from animate.scenes import dark_twin

TITLE = "clustergif gallery"
# Images above the fold load at once; the rest as the reader scrolls.
EAGER_IMAGES = 2
_OTHER_FORMATS = {".webp": "WebP", ".apng": "APNG", ".png": "PNG", ".mp4": "MP4"}

_CSS = """\
:root { color-scheme: light dark; --ink: #222; --paper: #fff; --muted: #555;
        --line: #ddd; --code: #f4f4f4; --link: #0b57d0; }
@media (prefers-color-scheme: dark) {
  :root { --ink: #e6e6e6; --paper: #121212; --muted: #aaa; --line: #3a3a3a;
          --code: #1f1f1f; --link: #8ab4f8; }
}
body { font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: var(--paper);
       max-width: 90rem; margin: 0 auto; padding: 1rem; }
a { color: var(--link); }
nav ol { columns: 18rem; padding-left: 1.5rem; }
nav li { break-inside: avoid; }
main { display: grid; gap: 1.5rem;
       grid-template-columns: repeat(auto-fill, minmax(min(100%, 30rem), 1fr)); }
article { min-width: 0; border: 1px solid var(--line); border-radius: 6px; padding: 1rem; }
img { display: block; max-width: 100%; height: auto; }
h2 { font-size: 1.2rem; margin: 0.75rem 0 0.25rem; }
h3 { font-size: 0.9rem; margin: 0.75rem 0 0.25rem; color: var(--muted); }
.files { font-size: 0.85rem; color: var(--muted); margin: 0.25rem 0; }
.snippet { position: relative; }
.snippet pre { padding-right: 4.5rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--code);
      padding: 0.5rem; margin: 0; }
code { font-size: 0.85rem; }
.copy { position: absolute; top: 0.25rem; right: 0.25rem; font-size: 0.75rem; }
"""

# Adds a copy button to each snippet; without script the text is still selectable.
_SCRIPT = """\
for (const box of document.querySelectorAll(".snippet")) {
  const button = document.createElement("button");
  button.className = "copy";
  button.type = "button";
  button.textContent = "Copy";
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(box.querySelector("code").textContent);
    button.textContent = "Copied";
  });
  box.append(button);
}
"""


def write_index(scenes, out_dir, animations=None):
    """Write ``out_dir/index.html``, a page showing ``scenes``, and return its path.

    Parameters
    ----------
    scenes : list of animate.scenes.Scene
        Loaded scenes whose GIF (``scene.output``) is already in ``out_dir``;
        the page shows them in teaching order (``scene.order``, then the rest
        in the order given).
    out_dir : str or Path
        The gallery folder; the page's image links are relative to it.
    animations : dict, optional
        ``{scene.path: Animation}`` as rendered: their alt text describes the
        run; without it a scene's ``alt`` or its title is used.

    Returns
    -------
    Path
        ``out_dir / "index.html"``, written whole or not at all.
    """
    path = Path(out_dir) / "index.html"
    page = index_html(scenes, out_dir, animations)
    atomic_write(
        path,
        lambda tmp: Path(tmp).write_text(page, encoding="utf-8", newline="\n"),
        replaces=("html",),
    )
    return path


def teaching_order(scenes):
    """``scenes`` sorted by their ``order`` key; those without one keep their place after."""
    indexed = list(enumerate(scenes))
    indexed.sort(key=lambda item: (item[1].order is None, item[1].order or 0, item[0]))
    return [scene for _, scene in indexed]


def index_html(scenes, out_dir, animations=None):
    """The text of the gallery page for ``scenes`` (see :func:`write_index`)."""
    scenes = teaching_order(scenes)
    animations = {Path(k): v for k, v in (animations or {}).items()}
    entries = "".join(
        _entry(scene, Path(out_dir), _alt(scene, animations), eager=i < EAGER_IMAGES)
        for i, scene in enumerate(scenes)
    )
    contents = "".join(
        f'<li><a href="#{escape(_anchor(scene))}">{escape(scene.title)}</a></li>\n'
        for scene in scenes
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{TITLE}</title>\n<style>\n{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{TITLE}</h1>\n"
        "<p>Clustering algorithms, step by step. Made by <code>clustergif</code>, which "
        "renders every scene in <code>scenes/</code> into this folder.</p>\n"
        f'<nav aria-label="Contents">\n<h2>Contents</h2>\n<ol>\n{contents}</ol>\n</nav>\n'
        f"<main>\n{entries}</main>\n<script>\n{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _alt(scene, animations):
    rendered = animations.get(Path(scene.path))
    return getattr(rendered, "alt", None) or scene.alt or scene.title


def _anchor(scene):
    return Path(scene.path).stem


def _entry(scene, out_dir, alt, eager):
    with Image.open(out_dir / scene.output) as gif:
        width, height = gif.size
    loading = "" if eager else ' loading="lazy"'
    img = (
        f'<img src="{_href(scene.output)}" alt="{escape(alt)}" '
        f'width="{width}" height="{height}"{loading}>'
    )
    twin = dark_twin(scene.output)
    if (out_dir / twin).exists():
        # Readers in dark mode get the dark twin: the page and the GIF both follow
        # their colour scheme (clustergif --theme both renders the twins).
        img = (
            f'<picture><source srcset="{_href(twin)}" media="(prefers-color-scheme: dark)">'
            f"{img}</picture>"
        )
    # The command names scenes/<file>: the page documents the gallery, which
    # is always rendered from ./scenes.
    command = f"clustergif render scenes/{Path(scene.path).name}"
    description = f"<p>{escape(scene.description)}</p>\n" if scene.description else ""
    return (
        f'<article id="{escape(_anchor(scene))}">\n'
        f'<h2><a href="#{escape(_anchor(scene))}">{escape(scene.title)}</a></h2>\n{img}\n'
        f"{_files(out_dir, scene.output)}{description}"
        f"<h3>Render it again</h3>\n{_snippet(command)}"
        f"<h3>Embed it</h3>\n{_snippet(img)}"
        "</article>\n"
    )


def _href(output):
    return escape(quote(Path(output).as_posix()))


def _snippet(text):
    return f'<div class="snippet"><pre><code>{escape(text)}</code></pre></div>\n'


def _files(out_dir, output):
    """ "GIF, 767 KB · WebP (512 KB) · MP4 (98 KB)": the file's size and its other formats."""
    main = out_dir / output
    parts = [f"{main.suffix[1:].upper()}, {_kb(main)}"]
    for suffix, name in _OTHER_FORMATS.items():
        other = main.with_suffix(suffix)
        if other != main and other.exists():
            href = escape(quote(Path(output).with_suffix(suffix).as_posix()))
            parts.append(f'<a href="{href}">{name}</a> ({_kb(other)})')
    twin = dark_twin(output)
    if (out_dir / twin).exists():
        parts.append(f'<a href="{_href(twin)}">dark theme</a> ({_kb(out_dir / twin)})')
    return f'<p class="files">{" · ".join(parts)}</p>\n'


def _kb(path):
    return f"{max(1, round(path.stat().st_size / 1024)):,} KB"
