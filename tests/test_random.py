"""Counter-based household uniforms: reproducible, a household's own, uniform, independent."""

import numpy as np
from scipy import stats

from sim.core.random import Streams, stream_key

N = 200_000


def test_same_key_same_draws_and_each_household_its_own():
    s = Streams(11)
    u = s.uniform("illness", 5, N)
    assert np.array_equal(u, Streams(11).uniform("illness", 5, N))
    assert np.array_equal(u[:1000], s.uniform("illness", 5, 1000))  # independent of n


def test_every_key_part_changes_the_draws():
    s = Streams(11)
    base = s.uniform("illness", 5, 1000)
    for other in (
        Streams(12).uniform("illness", 5, 1000),
        s.uniform("death", 5, 1000),
        s.uniform("illness", 6, 1000),
        s.uniform("illness", 5, 1000, part=1),
    ):
        assert not np.any(base == other)


def test_uniform_on_unit_interval():
    u = Streams(3).uniform("jobs", 1, N)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # mean and variance within 4 standard errors of 1/2 and 1/12
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / N)
    assert abs(u.var() - 1 / 12) < 4 * np.sqrt(1 / 180 / N)


def test_neighbours_and_streams_uncorrelated():
    s = Streams(3)
    u = s.uniform("jobs", 1, N)
    pairs = [
        (u[:-1], u[1:]),  # household i and i + 1
        (u, s.uniform("jobs", 2, N)),  # month t and t + 1
        (u, s.uniform("jobs", 1, N, part=1)),  # two parts of one stream
    ]
    for a, b in pairs:
        assert abs(np.corrcoef(a, b)[0, 1]) < 4 / np.sqrt(N)


def test_stream_keys_are_numpys_seed_sequence():
    """The compiled key equals SeedSequence's, on 32-bit words (zeros too) and beyond."""
    from sim.core.random import seed_sequence_key

    rng = np.random.default_rng(0)
    for _ in range(2000):
        words = [int(x) for x in rng.integers(0, 2**32, 4)]
        words[int(rng.integers(4))] *= int(rng.random() < 0.5)  # some zero words
        want = np.random.SeedSequence(words).generate_state(1, np.uint64)[0]
        assert seed_sequence_key(np.array(words, np.uint64)) == want, words
    big = Streams(2**40)  # a seed of two words: numpy's own SeedSequence
    want = np.random.SeedSequence([2**40, stream_key("x"), 3, 1]).generate_state(1, np.uint64)[0]
    assert big.key("x", 3, 1) == want
