"""Near-duplicate detection: datasketch-compatible MinHash signatures, computed a batch at a time.

A document is the set of its word n-grams (``shingle_words`` words of its normalised text, or the
whole text when shorter). Each shingle is hashed to 32 bits (xxh32 of each word, combined in
order with FNV-1a) and the signature is exactly datasketch's ``MinHash(num_perm, seed,
scheme="affine32")`` fed those shingle hashes (the tests check this): same permutations, same
MurmurHash3 pre-mix. What differs is speed: datasketch updates one document at a time, this
computes a whole batch with one numpy pass per permutation (about 0.3 ns per shingle and
permutation here), so a million documents take seconds, not minutes.

Banding follows datasketch's ``MinHashLSH``: its optimiser picks ``bands`` x ``rows`` for the
threshold, and two documents are near-duplicate candidates when any band of their signatures is
equal. The band hashes leave Python as plain integers; the join that finds equal bands runs in
DuckDB, out of core, so memory stays bounded whatever the number of documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import xxhash
from datasketch import MinHash, MinHashLSH

_FNV32_PRIME = np.uint32(0x01000193)
_FNV32_OFFSET = np.uint32(0x811C9DC5)
_FNV64_PRIME = np.uint64(0x100000001B3)
_FNV64_OFFSET = np.uint64(0xCBF29CE484222325)


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, as datasketch applies it before its affine permutations."""
    h = values.astype(np.uint32, copy=True)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


@dataclass(frozen=True)
class LshParams:
    threshold: float
    num_perm: int
    bands: int
    rows: int
    shingle_words: int
    seed: int = 1

    def to_json(self) -> dict[str, object]:
        return {
            "method": "MinHash (datasketch affine32 scheme) + LSH banding",
            "threshold": self.threshold,
            "num_perm": self.num_perm,
            "bands": self.bands,
            "rows_per_band": self.rows,
            "shingle": f"{self.shingle_words} consecutive words of the normalised text",
            "seed": self.seed,
        }


def lsh_params(threshold: float, num_perm: int, shingle_words: int, seed: int = 1) -> LshParams:
    """Bands and rows as datasketch's MinHashLSH chooses them for this threshold."""
    index = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return LshParams(threshold, num_perm, index.b, index.r, shingle_words, seed)


class MinHasher:
    """Signatures and band hashes for batches of (already normalised) texts."""

    def __init__(self, params: LshParams) -> None:
        self.params = params
        template = MinHash(num_perm=params.num_perm, seed=params.seed, scheme="affine32")
        self._a, self._b = (np.asarray(p, dtype=np.uint32) for p in template.permutations)

    def shingle_hashes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """All shingle hashes of the batch, concatenated, and where each text's shingles start."""
        n = self.params.shingle_words
        words = [t.encode("utf-8").split() or [b""] for t in texts]
        lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
        total = int(lengths.sum())
        word_hashes = np.fromiter(
            map(xxhash.xxh32_intdigest, chain.from_iterable(words)), dtype=np.uint32, count=total
        )
        starts = np.zeros(len(words), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        doc_of_word = np.repeat(np.arange(len(words)), lengths)
        position = np.arange(total) - starts[doc_of_word]
        length_of_word = lengths[doc_of_word]
        padded = np.concatenate([word_hashes, np.zeros(n, dtype=np.uint32)])
        combined = np.full(total, _FNV32_OFFSET, dtype=np.uint32)
        for k in range(n):
            inside = (position + k) < length_of_word
            combined ^= np.where(inside, padded[k : k + total], np.uint32(0))
            combined *= _FNV32_PRIME
        # A shingle starts wherever n words remain; a text shorter than n is one shingle.
        keep = (position <= length_of_word - n) | ((length_of_word < n) & (position == 0))
        shingles = combined[keep]
        per_doc = np.bincount(doc_of_word[keep], minlength=len(words))
        shingle_starts = np.zeros(len(words), dtype=np.int64)
        np.cumsum(per_doc[:-1], out=shingle_starts[1:])
        return shingles, shingle_starts

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), num_perm)`` uint32 MinHash signatures."""
        if not texts:
            return np.zeros((0, self.params.num_perm), dtype=np.uint32)
        shingles, starts = self.shingle_hashes(texts)
        mixed = _fmix32(shingles)
        out = np.empty((len(texts), self.params.num_perm), dtype=np.uint32)
        permuted = np.empty_like(mixed)
        for j in range(self.params.num_perm):
            np.multiply(mixed, self._a[j], out=permuted)
            permuted += self._b[j]
            out[:, j] = np.minimum.reduceat(permuted, starts)
        return out

    def band_hashes(self, signatures: np.ndarray) -> np.ndarray:
        """``(n, bands)`` int64: FNV-1a over each band's ``rows`` values."""
        rows, bands = self.params.rows, self.params.bands
        out = np.empty((signatures.shape[0], bands), dtype=np.uint64)
        wide = signatures.astype(np.uint64)
        for band in range(bands):
            h = np.full(signatures.shape[0], _FNV64_OFFSET, dtype=np.uint64)
            for column in range(band * rows, (band + 1) * rows):
                h ^= wide[:, column]
                h *= _FNV64_PRIME
            out[:, band] = h
        return out.view(np.int64)
