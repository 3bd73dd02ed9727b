"""Toy data sets and the user's own CSV files, validated at the door.

Every way in returns ``(X, y)``: ``X`` float64 of shape (n_samples, n_features),
``y`` the true labels (int) or ``None`` when there are none. :func:`table`
and :func:`read_csv` keep the names as well (a :class:`Table`): those of the
features, which label the axes, and those of the classes, for the legend.
What :func:`make` returns is a :class:`Dataset`, that pair with what a row is:
a point ("points"), a pixel of a photo ("photo") or a handwritten digit
("digits"); a Table made from it keeps that too.
"""

from __future__ import annotations

import csv
import inspect
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from animate.errors import UserError

# blobs, circles and moons are scikit-learn's make_blobs, make_circles and make_moons
# redone in numpy, draw for draw (tests/test_theme.py checks the bits):
# importing sklearn.datasets costs 1.4 s and about 110 MB before the first point.


def _random_state(seed):
    """A RandomState as scikit-learn's ``check_random_state`` makes it."""
    if seed is None:
        return np.random.mtrand._rand
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return np.random.RandomState(seed)
    if isinstance(seed, np.random.RandomState):
        return seed
    raise UserError(f"random_state must be a whole number or None, got {seed!r}")


def _shuffled(generator, X, y):
    """``X`` and ``y`` in one random order, drawn as scikit-learn's ``shuffle`` draws it."""
    order = np.arange(len(X))
    generator.shuffle(order)
    return X[order], y[order]


def _at_least(name, value, low=0.0):
    values = np.asarray(value, dtype=float)
    if not np.isfinite(values).all() or (values < low).any():
        raise UserError(f"{name} must be a number of at least {low:g}, got {value!r}")


def _blobs(n_samples, random_state, centers=4, n_features=2, cluster_std=1.0):
    generator = _random_state(random_state)
    if isinstance(centers, int | np.integer) and not isinstance(centers, bool):
        centers = generator.uniform(-10.0, 10.0, size=(int(centers), n_features))
    else:
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2 or not len(centers) or not np.isfinite(centers).all():
            raise UserError(f"centers must be a number or a list of points, got {centers!r}")
    _at_least("cluster_std", cluster_std)
    if np.ndim(cluster_std) == 0:
        cluster_std = np.full(len(centers), cluster_std)
    elif len(cluster_std) != len(centers):
        raise UserError(
            f"cluster_std has {len(cluster_std)} values for {len(centers)} centers; give one each"
        )
    sizes = [
        n_samples // len(centers) + (i < n_samples % len(centers)) for i in range(len(centers))
    ]
    X = np.vstack(
        [
            generator.normal(loc=c, scale=s, size=(n, centers.shape[1]))
            for c, s, n in zip(centers, cluster_std, sizes)
        ]
    )
    return _shuffled(generator, X, np.repeat(np.arange(len(centers)), sizes))


def _noisy(generator, X, y, noise):
    """Shuffled, then moved by Gaussian noise of standard deviation ``noise``."""
    X, y = _shuffled(generator, X, y)
    if noise is not None:
        _at_least("noise", noise)
        X += generator.normal(scale=noise, size=X.shape)
    return X, y


def _two_curves(outer, inner):
    """Points of two curves, given as (x, y) pairs, and 0 for the first, 1 for the second."""
    X = np.vstack([np.append(outer[0], inner[0]), np.append(outer[1], inner[1])]).T
    y = np.hstack([np.zeros(len(outer[0]), dtype=np.intp), np.ones(len(inner[0]), dtype=np.intp)])
    return X, y


def _circles(n_samples, random_state, noise=0.05, factor=0.5):
    if not 0 <= factor < 1:
        raise UserError(f"factor (inner ring / outer ring) must be in [0, 1), got {factor!r}")
    n_out = n_samples // 2
    generator = _random_state(random_state)
    # endpoint=False: the first point of a ring is not also its last.
    around_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    around_in = np.linspace(0, 2 * np.pi, n_samples - n_out, endpoint=False)
    X, y = _two_curves(
        (np.cos(around_out), np.sin(around_out)),
        (np.cos(around_in) * factor, np.sin(around_in) * factor),
    )
    return _noisy(generator, X, y, noise)


def _moons(n_samples, random_state, noise=0.05):
    n_out = n_samples // 2
    generator = _random_state(random_state)
    along_out = np.linspace(0, np.pi, n_out)
    along_in = np.linspace(0, np.pi, n_samples - n_out)
    X, y = _two_curves(
        (np.cos(along_out), np.sin(along_out)),
        (1 - np.cos(along_in), 1 - np.sin(along_in) - 0.5),
    )
    return _noisy(generator, X, y, noise)


def _gaussians4(n_samples, random_state):
    # The four clouds of the classic "clustering with GIFs" tutorial: one wide,
    # one wider and two tight, so that k-means, EM and mean shift all differ.
    rng = np.random.default_rng(random_state)
    sizes = [n_samples // 4 + (i < n_samples % 4) for i in range(4)]
    clouds = [
        rng.normal(5.0, 2.0, (sizes[0], 2)),
        rng.normal(15.0, 3.0, (sizes[1], 2)),
        rng.normal((17.0, 3.0), 1.0, (sizes[2], 2)),
        rng.normal((2.0, 16.0), 1.0, (sizes[3], 2)),
    ]
    return np.vstack(clouds), np.repeat(np.arange(4), sizes)


def _aniso(n_samples, random_state, centers=3):
    X, y = _blobs(n_samples, random_state, centers=centers)
    # The stretch of scikit-learn's "k-means assumptions" example.
    return X @ np.array([[0.6, -0.6], [-0.4, 0.8]]), y


def _varied(n_samples, random_state, cluster_std=(1.0, 2.5, 0.5)):
    return _blobs(n_samples, random_state, centers=len(cluster_std), cluster_std=list(cluster_std))


def _uniform(n_samples, random_state, n_features=2):
    # The draw of scikit-learn's clustering comparison chart ("no structure").
    return np.random.RandomState(random_state).rand(n_samples, n_features), None


class Dataset(tuple):
    """``(X, y)``, unpacked as every data set's, that also says what a row is.

    Attributes
    ----------
    kind : str
        "points" (draw rows as points), "photo" (rows are the pixels of one
        picture, RGB in 0-1) or "digits" (rows are handwritten digits).
    image_shape : tuple of int or None
        For "photo", the picture's (height, width): row ``i`` is pixel
        ``divmod(i, width)``. For "digits" without an embedding, (8, 8): each
        row is an 8 x 8 picture. None otherwise.
    """

    def __new__(cls, X, y, kind="points", image_shape=None):
        data = super().__new__(cls, (X, y))
        data.kind = kind
        data.image_shape = None if image_shape is None else tuple(int(v) for v in image_shape)
        return data

    @property
    def X(self):
        return self[0]

    @property
    def y(self):
        return self[1]


SAMPLE_IMAGES = ("china.jpg", "flower.jpg")


def _photo(n_samples, random_state, image="china.jpg", max_pixels=40_000):
    # n_samples and random_state are unused: the picture decides the pixels.
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 4:
        raise UserError(f"max_pixels must be a whole number of at least 4, got {max_pixels!r}")
    picture = _downscaled(_open_image(image), max_pixels)
    rgb = np.asarray(picture, dtype=np.float64) / 255.0
    return Dataset(rgb.reshape(-1, 3), None, "photo", rgb.shape[:2])


def _open_image(image):
    """A pillow RGB image: one of scikit-learn's sample images, or the user's own file."""
    from PIL import Image, UnidentifiedImageError

    if image in SAMPLE_IMAGES:
        # scikit-learn's sample photos, read from its package folder as its
        # load_sample_image reads them, without importing sklearn (110 MB, 1.4 s).
        with Image.open(_sklearn_folder() / "datasets" / "images" / image) as opened:
            return Image.fromarray(np.asarray(opened))
    path = Path(str(image))
    try:
        with Image.open(path) as opened:
            return opened.convert("RGB")
    except FileNotFoundError:
        raise UserError(
            f"image {path} does not exist; give a JPEG or PNG file, or one of "
            f"{', '.join(SAMPLE_IMAGES)}"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        reason = "it is not an image" if isinstance(exc, UnidentifiedImageError) else exc
        raise UserError(
            f"cannot read {path} as a picture ({reason}); give a JPEG or PNG file"
        ) from None


def _downscaled(picture, max_pixels):
    """``picture`` shrunk (aspect kept, box filter) to at most ``max_pixels`` pixels."""
    width, height = picture.size
    if width * height <= max_pixels:
        return picture
    scale = (max_pixels / (width * height)) ** 0.5
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    from PIL import Image

    return picture.resize(size, Image.Resampling.BOX)


DIGIT_EMBEDDINGS = (None, "pca", "tsne")


def _digits(n_samples, random_state, embed=None):
    # n_samples is unused: the 1,797 digits of scikit-learn are the data set.
    if embed not in DIGIT_EMBEDDINGS:
        raise UserError(f"embed must be one of none, 'pca', 'tsne', got {embed!r}")
    pixels, target = _load_digits()
    if embed is None:
        return Dataset(pixels, target, "digits", (8, 8))
    return Dataset(_embedded(pixels, embed, random_state), target, "digits")


def _load_digits():
    """scikit-learn's digits ``(data, target)``, read from its package folder as its
    ``load_digits`` reads them, without importing sklearn (110 MB, 1.4 s)."""
    import gzip
    import io

    path = _sklearn_folder() / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path) as compressed:
        data = np.loadtxt(io.TextIOWrapper(compressed, encoding="utf-8"), delimiter=",")
    return data[:, :-1], data[:, -1].astype(int, copy=False)


def _sklearn_folder():
    from importlib.util import find_spec

    return Path(find_spec("sklearn").submodule_search_locations[0])


def _embedded(X, embed, random_state):
    """The 64-pixel digits in 2-D: a representation of the data, not a clustering."""
    if embed == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=random_state).fit_transform(X)
    return _cached(f"tsne-{random_state}", X, lambda: _tsne(X, random_state))


def _tsne(X, random_state):
    from sklearn.manifold import TSNE

    return TSNE(n_components=2, init="pca", random_state=random_state).fit_transform(X)


def _cached(name, X, compute):
    """``compute()``, kept in the user's cache folder: t-SNE of the digits takes 10-100 s.

    The key is the data, ``name`` and scikit-learn's version, so a cached result
    is the one ``compute`` would give; a folder that cannot be written is skipped.
    """
    import hashlib
    import os
    from importlib.metadata import version

    # The installed version, read without importing sklearn: a cached result is
    # then loaded with no sklearn in memory.
    key = hashlib.sha256(X.tobytes() + f"{name} {version('scikit-learn')}".encode()).hexdigest()
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clustergif"
    path = folder / f"{name}-{key[:16]}.npy"
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        pass
    result = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        from animate.encode import atomic_write

        atomic_write(path, lambda tmp: np.save(tmp, result))
    except (OSError, UserError):
        pass
    return result


_MAKERS = {
    "blobs": (_blobs, "isotropic Gaussian blobs (options: centers, n_features, cluster_std)"),
    "circles": (_circles, "a small ring inside a large one (options: noise, factor)"),
    "moons": (_moons, "two interleaving half circles (option: noise)"),
    "gaussians4": (_gaussians4, "the classic tutorial's four Gaussians of unequal spread"),
    "aniso": (_aniso, "blobs stretched by a linear map (option: centers)"),
    "varied": (_varied, "blobs of unequal spread (option: cluster_std)"),
    "uniform": (_uniform, "uniform noise, no structure at all (option: n_features)"),
}

# Point clouds drawn afresh for any n_samples and seed, and pictures, which are what they are.
DATASETS = tuple(_MAKERS)
_MAKERS |= {
    "photo": (
        _photo,
        "a photo's pixels in RGB (0-1) (options: image = 'china.jpg', 'flower.jpg' or a "
        "JPEG/PNG path; max_pixels)",
    ),
    "digits": (
        _digits,
        "1,797 handwritten 8x8 digits, 64 features (option: embed = 'pca' or 'tsne')",
    ),
}
PICTURES = tuple(name for name in _MAKERS if name not in DATASETS)

# Most points a built-in data set makes, and most numbers (points x features):
# 160 MB of float64, made in about a second.
MAX_SAMPLES = 1_000_000
# Largest size of a value in the data: its square, summed over a few features, must
# stay a number (the largest float64 is 1.8e308).
MAX_VALUE = 1e150
_MAX_VALUES = 20_000_000


def _check_sizes(options, n_samples, name):
    """Refuse option values that would make the generator build something huge."""
    centers = options.get("centers")
    if isinstance(centers, int | np.integer) and not 1 <= centers <= n_samples:
        raise UserError(
            f"data set {name!r}: centers={centers} must be between 1 and n_samples={n_samples}"
        )
    n_features = options.get("n_features", 2)
    if isinstance(n_features, int | np.integer) and not 1 <= n_features * n_samples <= _MAX_VALUES:
        raise UserError(
            f"data set {name!r}: n_features={n_features} must be at least 1 and, with "
            f"n_samples={n_samples}, give at most {_MAX_VALUES:,} numbers"
        )


def describe():
    """``{name: one-line description}`` of every built-in data set."""
    return {name: text for name, (_, text) in _MAKERS.items()}


def make(name, n_samples=300, random_state=0, scale=False, **options):
    """Make a built-in toy data set.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`: "blobs", "circles", "moons", "gaussians4",
        "aniso", "varied", "uniform", "photo", "digits".
    n_samples : int, default=300
        Number of points (not used by "photo" and "digits": the picture and
        scikit-learn's 1,797 digits decide).
    random_state : int, default=0
        Seed: the same seed gives the same points.
    scale : bool, default=False
        Shift and scale each feature to mean 0 and variance 1, as
        scikit-learn's ``StandardScaler`` (its clustering comparison chart
        does this, so that one eps or bandwidth suits every data set).
    **options
        Options of that data set, e.g. ``noise=0.1`` for moons; see
        :func:`describe`.

    Returns
    -------
    Dataset
        ``X, y = make(...)``: ``X`` (n_samples, n_features), ``y`` the true
        cluster of every point or None; ``.kind`` and ``.image_shape`` say
        what a row is (a pixel of a photo, a digit's picture).
    """
    if name not in _MAKERS:
        raise UserError(
            f"unknown data set {name!r}; choose one of {', '.join(_MAKERS)}, or give a CSV file"
        )
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 2:
        raise UserError(f"n_samples must be a whole number of at least 2, got {n_samples!r}")
    if n_samples > MAX_SAMPLES:
        raise UserError(
            f"n_samples={n_samples} is more than the {MAX_SAMPLES:,} points a built-in data "
            "set makes; use fewer (a GIF shows a few thousand well)"
        )
    allowed = options_of(name)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        hint = f"it takes {', '.join(allowed)}" if allowed else "it takes none"
        raise UserError(f"data set {name!r} has no option {unknown[0]!r}; {hint}")
    _check_sizes(options, n_samples, name)
    try:
        made = _MAKERS[name][0](int(n_samples), random_state, **options)
    except UserError:
        raise
    except (TypeError, ValueError) as exc:
        raise UserError(f"bad option for data set {name!r}: {exc}") from None
    if not isinstance(scale, bool):
        raise UserError(f"scale must be true or false, got {scale!r}")
    X, y = made
    X = validate_data(X, what=f"data set {name!r}")
    return Dataset(
        _standardised(X) if scale else X,
        None if y is None else np.asarray(y, int),
        getattr(made, "kind", "points"),
        getattr(made, "image_shape", None),
    )


def _standardised(X):
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit_transform(X)


def options_of(name):
    """The options data set ``name`` takes besides n_samples and random_state."""
    return list(inspect.signature(_MAKERS[name][0]).parameters)[2:]


def validate_data(X, what="the data"):
    """Check that ``X`` is a finite numeric table with at least two rows.

    Returns it as a C-contiguous float64 array of shape (n_samples, n_features).
    """
    X = as_numbers(X, what, f"{what} must be numbers; convert text columns or drop them")
    if X.ndim != 2:
        raise UserError(
            f"{what} must be a 2-D table (n_samples, n_features), "
            f"got {X.ndim} dimension(s); reshape it, e.g. X.reshape(-1, 1)"
        )
    if X.shape[0] < 2 or X.shape[1] < 1:
        raise UserError(f"{what} needs at least 2 rows and 1 column, got shape {X.shape}")
    if not np.isfinite(X).all():
        row = int(np.nonzero(~np.isfinite(X).all(axis=1))[0][0])
        raise UserError(
            f"{what} has a missing or infinite value in row {row}; drop or fill such rows first"
        )
    largest = float(np.abs(X).max())
    if largest > MAX_VALUE:
        raise UserError(
            f"{what} has values as large as {largest:.3g}: squared distances between such "
            f"points overflow; scale it to values below {MAX_VALUE:.0e}, e.g. X / abs(X).max()"
        )
    return X


def as_numbers(value, what, refusal):
    """``value`` as a C-contiguous float64 array; ``UserError(refusal)`` if it is not numbers.

    Complex numbers are refused, not cut to their real part.
    """
    try:
        array = np.asarray(value)
        if not np.iscomplexobj(array):
            return np.array(array, dtype=np.float64, order="C")
    except (TypeError, ValueError):
        raise UserError(refusal) from None
    raise UserError(f"{what} holds complex numbers; give real ones, e.g. its .real part")


def load_csv(path, columns=None, label_column=None):
    """Load the user's own data from a CSV file.

    Parameters
    ----------
    path : str or Path
        A comma-separated file. The first row is a header if all of it is text, or
        if a text cell heads a column of numbers; a text column (labels) in a file
        without a header is data.
    columns : list of str or int, optional
        The feature columns, by header name or 0-based index (a string of digits
        that is no header name counts as an index, as the command line gives it).
        Default: every column but the label column.
    label_column : str or int, optional
        A column holding the true clusters (any values; they are numbered).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or None

    See Also
    --------
    read_csv : the same, keeping the column and class names.
    """
    data = read_csv(path, columns, label_column)
    return data.X, data.y


def read_csv(path, columns=None, label_column=None):
    """:func:`load_csv`, keeping the header's names and the label column's values.

    Returns
    -------
    Table
        ``X``, ``y``, ``feature_names`` (the header's, or None without one) and
        ``label_names`` (the labels' own text when they are not whole numbers).
    """
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise UserError(f"csv must be the path of a CSV file, got {path!r}")
    if columns is not None and (isinstance(columns, str) or not isinstance(columns, list | tuple)):
        raise UserError(f"columns must be a list of column names or numbers, got {columns!r}")
    rows = _read_rows(Path(path))
    header = rows[0] if _has_header(rows) else None
    body = rows[1:] if header else rows
    width = len(rows[0])
    _check_delimiter(rows[0], path)
    for number, row in enumerate(body, start=2 if header else 1):
        if len(row) != width:
            raise UserError(
                f"{path}: line {number} has {len(row)} cells, the first has {width}; "
                "every line needs the same number of cells"
            )
    label = None if label_column is None else _column_index(label_column, header, width, path)
    if columns is None:
        features = [i for i in range(width) if i != label]
    else:
        features = [_column_index(c, header, width, path) for c in columns]
    X = np.empty((len(body), len(features)))
    for r, row in enumerate(body):
        for c, index in enumerate(features):
            cell = row[index].strip()
            if not _is_number(cell) or not np.isfinite(float(cell)):
                line = r + (2 if header else 1)
                raise UserError(
                    f"{path}: line {line}, column {index + 1} holds {cell!r}, "
                    "not a finite number; fix or drop that line, or leave the "
                    "column out with columns=..."
                )
            X[r, c] = float(cell)
    y, label_names = None, None
    if label is not None:
        cells = [row[label].strip() for row in body]
        whole = all(_is_number(cell) and float(cell).is_integer() for cell in cells)
        y, label_names = _labels([int(float(c)) for c in cells] if whole else cells, len(body))
    names = tuple(header[i].strip() for i in features) if header else None
    return Table(validate_data(X, what=str(path)), y, names, label_names)


@dataclass(frozen=True)
class Table:
    """Data with its names, as :func:`animate.run` takes it.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of int, shape (n_samples,), or None
        The true classes, numbered 0, 1, ...  when they had names.
    feature_names : tuple of str or None
        A name per column of ``X``.
    label_names : tuple of str or None
        ``label_names[k]`` is the name of class ``k``.
    data_kind, image_shape
        What a row is, as a :class:`Dataset` says ("points", "photo", "digits").
    """

    X: np.ndarray
    y: np.ndarray | None = None
    feature_names: tuple | None = None
    label_names: tuple | None = None
    data_kind: str = "points"
    image_shape: tuple | None = None


def table(data, y=None, columns=None, label_column=None):
    """A :class:`Table` from an array, a pandas DataFrame or a Table.

    Parameters
    ----------
    data : array-like, pandas.DataFrame, Table or Dataset
        The points. A DataFrame gives its column names to the features; a
        :class:`Dataset` from :func:`make` what its rows are (a photo's pixels).
    y : array-like or pandas.Series, optional
        True labels: whole numbers, or any values (text, categories), which
        are numbered in sorted order (a categorical's own order) and keep their names.
    columns : list of str, optional
        The DataFrame's feature columns; default: all but ``label_column``.
    label_column : str, optional
        The DataFrame's column of true labels.
    """
    if isinstance(data, Dataset):
        data = Table(*data, data_kind=data.kind, image_shape=data.image_shape)
    if isinstance(data, Table):
        if columns is not None or label_column is not None:
            raise UserError("columns= and label_column= choose columns of a DataFrame, not a Table")
        y, label_names = (data.y, data.label_names) if y is None else _labels(y, len(data.X))
        kind = {"data_kind": data.data_kind, "image_shape": data.image_shape}
        return Table(data.X, y, data.feature_names, label_names, **kind)
    if _is_frame(data):
        return _frame_table(data, y, columns, label_column)
    if columns is not None or label_column is not None:
        raise UserError(
            "columns= and label_column= choose columns of a pandas DataFrame; "
            "with an array, pass X[:, columns] and y= instead"
        )
    X = validate_data(data)
    y, label_names = _labels(y, len(X))
    return Table(X, y, label_names=label_names)


def _is_frame(data):
    # No pandas import: it is optional, and only a DataFrame needs it.
    return type(data).__module__.startswith("pandas") and hasattr(data, "columns")


def _frame_table(frame, y, columns, label_column):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    names = [str(c) for c in frame.columns]
    for key in [*(columns or []), *([] if label_column is None else [label_column])]:
        if key not in frame.columns:
            raise UserError(
                f"the DataFrame has no column {key!r}; its columns are {', '.join(names)}"
            )
    if label_column is not None:
        if y is not None:
            raise UserError("give the true labels once: as y= or as label_column=, not both")
        y = frame[label_column]
    features = (
        list(columns)
        if columns is not None
        else [c for c in frame.columns if label_column is None or c != label_column]
    )
    for column in features:
        dtype = frame[column].dtype
        if not is_numeric_dtype(dtype) or is_bool_dtype(dtype):
            raise UserError(
                f"column {column!r} holds {dtype} values, not numbers; leave it out with "
                "columns=[...], or name it as label_column= if it holds the classes"
            )
    X = frame[features].to_numpy(dtype=np.float64, na_value=np.nan)
    X = validate_data(X, what="the DataFrame")
    y, label_names = _labels(y, len(X))
    return Table(X, y, tuple(str(c) for c in features), label_names)


def _labels(y, n_samples):
    """``(labels, names)``: whole numbers stay as they are (names None); anything else is
    numbered in sorted order, or a pandas categorical's own order, and keeps its names."""
    if y is None:
        return None, None
    if np.ndim(y) == 0:
        raise UserError(f"y must be one label per point (1-D), got the single value {y!r}")
    if len(y) != n_samples:
        raise UserError(f"y has {len(y)} labels for {n_samples} points; give one label per point")
    categories = getattr(getattr(y, "cat", None), "categories", None)
    if categories is not None:
        codes = np.asarray(y.cat.codes, dtype=np.int64)
        if (codes < 0).any():
            raise UserError(f"y has a missing label at row {int(np.argmax(codes < 0))}; fill it")
        return codes, tuple(str(c) for c in categories)
    values = np.asarray(y)
    if values.ndim != 1:
        raise UserError(f"y must be one label per point (1-D), got shape {values.shape}")
    if values.dtype.kind in "iu":
        return values.astype(np.int64), None
    if values.dtype.kind == "f" and np.isfinite(values).all() and (values == values.round()).all():
        return values.astype(np.int64), None
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise UserError(
            f"y has a missing label at row {int(np.argmax(~np.isfinite(values)))}; fill it"
        )
    missing = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and v != v)]
    if missing:
        raise UserError(f"y has a missing label at row {missing[0]}; fill it or drop that row")
    text = np.array([str(v) for v in values])
    names, codes = np.unique(text, return_inverse=True)
    return codes.astype(np.int64), tuple(str(name) for name in names)


def _read_rows(path):
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = [row for row in csv.reader(fh) if any(cell.strip() for cell in row)]
    except FileNotFoundError:
        raise UserError(f"CSV file {path} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read CSV file {path}: {exc}") from None
    if not rows:
        raise UserError(f"CSV file {path} is empty; it needs at least 2 rows of numbers")
    return rows


def _has_header(rows):
    """Whether the first row names the columns: all of it is text, or a text cell heads a
    column of numbers. A text column (labels) in a file without a header is data."""
    text = [not _is_number(cell) for cell in rows[0]]
    if all(text) or not any(text):
        return all(text)
    return any(
        is_text and all(_is_number(row[i]) for row in rows[1:] if i < len(row))
        for i, is_text in enumerate(text)
    )


def _check_delimiter(first_row, path):
    """A file of one column holding semicolons or tabs was saved with another separator."""
    if len(first_row) != 1:
        return
    for mark, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
        if mark in first_row[0]:
            raise UserError(
                f"{path} seems separated by {name}, not commas; save it as comma-separated "
                f"CSV, or read it with pandas.read_csv({str(path)!r}, sep={mark!r}) and "
                "pass the DataFrame"
            )


def _column_index(column, header, width, path):
    names = [cell.strip() for cell in header] if header is not None else []
    if isinstance(column, str) and column.strip().isdigit() and column not in names:
        column = int(column)  # from the command line: a column by number
    if isinstance(column, int | np.integer) and not isinstance(column, bool):
        if 0 <= column < width:
            return int(column)
        raise UserError(f"{path} has {width} columns, so column index {column} does not exist")
    if column in names:
        return names.index(column)
    known = ", ".join(names) if header else "none (no header row)"
    raise UserError(f"{path} has no column {column!r}; its columns are {known}")


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True
