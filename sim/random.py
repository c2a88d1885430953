"""Named random streams keyed by (seed, name, month): common random numbers across scenarios.

Each (seed, stream name, month) has its own draws, so a draw in one module never shifts the
draws of another, and a policy that changes who is eligible never changes anyone's shocks.
Modules draw for every household, then mask (starsim's rule), so two scenarios with the same
seed share every draw the policy does not change.

Per-household uniforms are counter-based: household ``i``'s draw is SplitMix64's output
number ``i + 1`` from a 64-bit key that numpy's ``SeedSequence`` derives from (seed, name,
month, part) (:meth:`Streams.key`). It depends on nothing else (not even on how many
households there are), so a compiled loop computes it where it is used (:func:`uniform_at`),
for the households it needs; :meth:`Streams.uniform` gives them all as an array.
:meth:`Streams.get` gives a numpy generator for the rest (district-level draws, the population
generator).

Example:
    >>> s = Streams(seed=7)
    >>> u1 = s.uniform("illness", month=3, n=4)
    >>> bool((u1 == Streams(seed=7).uniform("illness", month=3, n=4)).all())
    True
    >>> bool((u1[:2] == s.uniform("illness", month=3, n=2)).all())  # a household's own draw
    True
    >>> bool(u1[3] == uniform_at(s.key("illness", month=3), 3))
    True
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.jit import jit, jit_inline


def stream_key(name: str) -> int:
    """Stable 32-bit key for a stream name (independent of Python's hash seed)."""
    return zlib.crc32(name.encode())


class Streams:
    """Factory of independent draws keyed by (seed, name, month)."""

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.seed = int(seed)

    def get(self, name: str, month: int) -> np.random.Generator:
        """A fresh generator for stream ``name`` in model month ``month`` (0 = set-up)."""
        return np.random.default_rng([self.seed, stream_key(name), month])

    def key(self, name: str, month: int, part: int = 0) -> np.uint64:
        """The key of stream ``name``'s household draws in ``month`` (``part`` numbers them)."""
        seq = np.random.SeedSequence([self.seed, stream_key(name), month, part])
        return np.uint64(seq.generate_state(1, np.uint64)[0])

    def uniform(self, name: str, month: int, n: int, part: int = 0) -> np.ndarray:
        """One uniform on [0, 1) per household ``0..n-1``: ``uniform_at(key, i)``."""
        out = np.empty(n)
        _fill(self.key(name, month, part), out)
        return out


@jit_inline
def uniform_at(key, i):
    """Household ``i``'s uniform on [0, 1): SplitMix64's (i + 1)-th output from ``key``."""
    z = key + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)  # top 53 bits / 2**53


@jit
def _fill(key, out):
    for i in range(out.size):
        out[i] = uniform_at(key, i)
