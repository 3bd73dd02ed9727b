"""Random small data and parameters to every registered algorithm: it answers or raises
one UserError, nothing else; where scikit-learn defines the answer, the labels agree.

Strategies are built from each algorithm's declared constraints, so a new algorithm
is fuzzed without a line added here. Bounded: few examples, a deadline per example.
"""

import warnings
from numbers import Integral

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from threadpoolctl import threadpool_limits

import animate
from animate.algorithms import registry
from animate.algorithms.registry import ARRAY, BOOLEAN, NONE, RANDOM_STATE, Interval, Options

pytestmark = pytest.mark.slow

SPECS = registry.specs()
# Derandomised: CI must not turn red on a case no earlier run drew; no deadline, since a
# loaded machine is not a bug.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Iterations and restarts stay small so that every example is quick.
_SMALL = {"max_iter": 30, "n_init": 3, "convergence_iter": 10, "connectivity": 5}
# Values no constraint should let through as something else than a UserError.
HOSTILE = st.sampled_from(["bogus", None, 10**400, -1, float("nan"), [1.0, 2.0], 1j])


@st.composite
def data(draw, lattice=None):
    """Small tables, often full of ties: integer lattices, repeated points, one column."""
    n = draw(st.integers(2, 14))
    d = draw(st.integers(1, 3))
    if lattice is None:
        lattice = draw(st.booleans())
    values = (
        st.integers(0, 3).map(float)
        if lattice
        else st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=32)
    )
    return draw(hnp.arrays(np.float64, (n, d), elements=values))


def _number(constraint, n, name):
    low = n if constraint.low == "n_samples" else constraint.low
    high = n if constraint.high == "n_samples" else constraint.high
    if constraint.kind is Integral:
        low = -1 if low is None else int(low)
        high = min(low + _SMALL.get(name, 20), high if high is not None else low + 20)
        return st.integers(low - 1, int(high) + 1)
    low = -1.0 if low is None else float(low)
    high = low + 10.0 if high is None else min(float(high), low + 1e6)
    return st.one_of(
        st.floats(low, high, allow_nan=False),
        st.sampled_from([low, high, 1e-300, 1e300, -1.0]),
    )


def _array(name, X):
    n, d = X.shape
    shapes = st.sampled_from([(n,), (n, d), (3,), (2, d), (3, 3)])
    return shapes.flatmap(
        lambda shape: hnp.arrays(np.float64, shape, elements=st.floats(-3, 3, width=32))
    )


def value(constraint, name, X):
    """A strategy for values meeting (mostly) one constraint."""
    if isinstance(constraint, Interval):
        return _number(constraint, len(X), name)
    if isinstance(constraint, Options):
        return st.sampled_from(constraint.values)
    if constraint is NONE:
        return st.none()
    if constraint is BOOLEAN:
        return st.booleans()
    if constraint is ARRAY:
        return _array(name, X)
    if constraint is RANDOM_STATE:
        return st.integers(0, 2**32 - 1)
    return st.just(None) if name != "metric" else st.sampled_from(["euclidean", "manhattan"])


@st.composite
def parameters(draw, spec, X):
    params = {}
    for name, allowed in spec.constraints.items():
        if name == "connectivity" or not draw(st.booleans()):
            continue  # default (a graph for connectivity is fuzzed by its own tests)
        if draw(st.integers(0, 9)) == 0:
            params[name] = draw(HOSTILE)
        else:
            params[name] = draw(st.one_of(*(value(c, name, X) for c in allowed)))
    return params


def run_quietly(name, X, params):
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        try:
            return animate.run(name, X, **params)
        except animate.UserError as exc:
            assert str(exc) and "\n" not in str(exc)
            return None


@pytest.fixture(scope="module", autouse=True)
def warm_up():
    """Import what the algorithms import on first use, outside the per-example deadline."""
    X = np.arange(12.0).reshape(6, 2)
    for spec in SPECS:
        run_quietly(spec.name, X, {})
    import sklearn.cluster  # noqa: F401  (the parity tests' reference)


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@FUZZ
@given(st.data())
def test_random_input_gives_an_answer_or_one_user_error(spec, draw):
    X = draw.draw(data(), label="X")
    params = draw.draw(parameters(spec, X), label="params")
    trace = run_quietly(spec.name, X, params)
    if trace is not None:
        assert trace.final.labels.shape == (len(X),)
        assert trace.final.labels.min() >= -1


@FUZZ
@given(data(), st.data())
def test_dbscan_labels_agree_with_sklearn(X, draw):
    from sklearn.cluster import DBSCAN

    params = {
        "eps": draw.draw(st.floats(0.05, 5.0)),
        "min_samples": draw.draw(st.integers(1, 5)),
        "metric": draw.draw(st.sampled_from(["euclidean", "manhattan", "chebyshev"])),
    }
    trace = run_quietly("dbscan", X, params)
    np.testing.assert_array_equal(trace.final.labels, DBSCAN(**params).fit(X).labels_)


@settings(FUZZ, max_examples=80)
@given(data(lattice=True), st.data())
def test_agglomerative_labels_agree_with_sklearn(X, draw):
    from sklearn.cluster import AgglomerativeClustering

    params = {
        "n_clusters": draw.draw(st.integers(1, len(X))),
        "linkage": draw.draw(st.sampled_from(["ward", "complete", "average", "single"])),
    }
    if draw.draw(st.booleans()):  # a graph: every pair linked, or the nearest few
        from sklearn.neighbors import kneighbors_graph

        k = draw.draw(st.integers(1, len(X) - 1))
        full = k == len(X) - 1
        params["connectivity"] = np.ones((len(X), len(X))) if full else kneighbors_graph(X, k)
    trace = run_quietly("agglomerative", X, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = AgglomerativeClustering(**params).fit(X).labels_
    np.testing.assert_array_equal(trace.final.labels, expected)


@FUZZ
@given(data(), st.data())
def test_kmeans_labels_agree_with_sklearn(X, draw):
    from sklearn.cluster import KMeans

    k = draw.draw(st.integers(1, len(X)))
    init = X[draw.draw(st.permutations(range(len(X))))[:k]]
    trace = run_quietly("kmeans", X, {"n_clusters": k, "init": init})
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        expected = KMeans(k, init=init, n_init=1, algorithm="lloyd").fit(X).labels_
    np.testing.assert_array_equal(trace.final.labels, expected)
