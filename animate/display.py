"""What ``render``, ``compare`` and ``Scene.render`` return: a path that shows itself.

:class:`Animation` is a ``pathlib.Path`` (``os.fspath``, ``str``, ``open``,
``.stat()`` all work) that Jupyter displays inline: ``_repr_html_`` embeds the
file as a base64 data URI, so the animation survives nbconvert's HTML export
and a notebook moved without its output folder.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

MIME_TYPES = {
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".apng": "image/apng",
    ".png": "image/png",
    ".mp4": "video/mp4",
}


class Animation(type(Path())):
    """An animation file written by clustergif: a ``Path`` with notebook display.

    Attributes
    ----------
    alt : str
        The text alternative (see :func:`animate.describe`).
    others : list of Path
        The same animation in the other formats written beside it.
    """

    def __new__(cls, path, *, alt="", others=()):
        # Python 3.11's Path builds itself in __new__; 3.12+ in __init__.
        self = super().__new__(cls, path)
        self.alt = alt
        self.others = list(others)
        return self

    def __init__(self, path, *, alt="", others=()):
        if Path.__init__ is not object.__init__:
            super().__init__(path)

    def __reduce__(self):
        # Path pickles as its parts; the worker processes of clustergif send these back.
        return (_animation, (str(self), getattr(self, "alt", ""), getattr(self, "others", [])))

    def data_uri(self):
        """The file as a ``data:`` URI, for pages that must not depend on the file."""
        mime = MIME_TYPES.get(self.suffix.lower(), "application/octet-stream")
        return f"data:{mime};base64,{base64.b64encode(self.read_bytes()).decode('ascii')}"

    def _repr_html_(self):
        alt = escape(getattr(self, "alt", "") or self.name)
        if self.suffix.lower() == ".mp4":
            return (
                f'<video src="{self.data_uri()}" autoplay loop muted playsinline controls '
                f'aria-label="{alt}">{alt}</video>'
            )
        return f'<img src="{self.data_uri()}" alt="{alt}">'

    def _repr_png_(self):
        """The first frame as PNG, for front ends that show no HTML."""
        from PIL import Image

        if self.suffix.lower() == ".mp4":
            return None
        with Image.open(self) as image:
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="PNG")
        return buffer.getvalue()


def _animation(path, alt, others):
    return Animation(path, alt=alt, others=others)
