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

from sim.core.jit import jit, jit_inline


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
        """The key of stream ``name``'s household draws in ``month`` (``part`` numbers them).

        ``SeedSequence([seed, stream, month, part]).generate_state(1, np.uint64)``, computed
        by :func:`seed_sequence_key` when every word fits in 32 bits (1.6 us instead of 35).
        """
        words = (self.seed, stream_key(name), month, part)
        if max(words) < 2**32 and min(words) >= 0:
            return np.uint64(seed_sequence_key(np.array(words, np.uint64)))
        seq = np.random.SeedSequence(list(words))
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


# numpy's SeedSequence constants (numpy/random/bit_generator.pyx).
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R, _MASK = 0xCA01F9DD, 0x4973F715, 0xFFFFFFFF


@jit
def seed_sequence_key(words):
    """``SeedSequence(words).generate_state(1, np.uint64)[0]`` for four 32-bit ``words``.

    numpy's algorithm (a pool of four 32-bit words, mixed, then hashed out), in uint64
    arithmetic masked to 32 bits.

    Example:
        >>> w = [7, 123456789, 30, 2]
        >>> bool(seed_sequence_key(np.array(w, np.uint64))
        ...      == np.random.SeedSequence(w).generate_state(1, np.uint64)[0])
        True
    """
    mask = np.uint64(_MASK)
    h = np.uint64(_INIT_A)
    pool = np.empty(4, np.uint64)
    for i in range(4):
        pool[i], h = _hashmix(words[i], h)
    for src in range(4):
        for dst in range(4):
            if src != dst:
                value, h = _hashmix(pool[src], h)
                mixed = (np.uint64(_MIX_L) * pool[dst] - np.uint64(_MIX_R) * value) & mask
                pool[dst] = mixed ^ (mixed >> np.uint64(16))
    h = np.uint64(_INIT_B)
    out = np.uint64(0)
    for i in range(2):  # two 32-bit words, little end first
        value = pool[i] ^ h
        h = (h * np.uint64(_MULT_B)) & mask
        value = (value * h) & mask
        out |= (value ^ (value >> np.uint64(16))) << np.uint64(32 * i)
    return out


@jit_inline
def _hashmix(value, h):
    """SeedSequence's hashmix: the hashed ``value`` and the next hash constant."""
    mask = np.uint64(_MASK)
    value = value ^ h
    h = (h * np.uint64(_MULT_A)) & mask
    value = (value * h) & mask
    return value ^ (value >> np.uint64(16)), h


@jit
def _fill(key, out):
    for i in range(out.size):
        out[i] = uniform_at(key, i)
