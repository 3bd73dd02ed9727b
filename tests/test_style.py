"""Colours a colour-blind reader can still tell apart (Machado, Oliveira & Fernandes 2009)."""

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from animate.render import style

# Machado et al. 2009, severity 1.0, applied to linear RGB.
SIMULATIONS = {
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}


def _linear(c):
    c = np.asarray(c, dtype=float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear):
    """CIELAB (D65) of a linear RGB colour."""
    to_xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    )
    xyz = to_xyz @ np.clip(linear, 0.0, 1.0) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _seen(colour, matrix):
    return _lab(np.asarray(matrix) @ _linear(to_rgb(colour)))


@pytest.mark.parametrize("kind", sorted(SIMULATIONS))
def test_noise_stands_apart_from_every_cluster_colour_for_colour_blind_readers(kind):
    matrix = SIMULATIONS[kind]
    noise = _seen(style.NOISE, matrix)
    for colour in style.CLUSTER_COLOURS:
        delta_e = np.linalg.norm(noise - _seen(colour, matrix))
        assert delta_e >= 20, (kind, colour, round(delta_e, 1))


def test_the_simulation_tells_the_old_grey_from_green_apart_by_too_little():
    # The grey the issue measured: about 10 Delta-E from green under deuteranopia.
    matrix = SIMULATIONS["deuteranopia"]
    assert np.linalg.norm(_seen("#8C8C8C", matrix) - _seen("#009E73", matrix)) < 20


def test_colours_repeat_beyond_seven_clusters_only_with_another_marker():
    n = len(style.CLUSTER_COLOURS)
    for slot in range(3 * n):
        assert style.cluster_colour(slot) == style.cluster_colour(slot + n)
        assert style.cluster_marker(slot) != style.cluster_marker(slot + n)
