"""RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs.

Written here (about 100 lines) rather than taken from pymerkle because we need exactly
RFC 6962's hashing over stored leaf hashes, O(log n)-memory streaming roots, and the
RFC 9162 verification algorithms; the test suite checks it against the Certificate
Transparency reference vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

EMPTY_ROOT = hashlib.sha256(b"").digest()


class HashList(Protocol):
    """Leaf hashes by index: a list, or ledger.PackedHashes (32 bytes each in one bytearray)."""

    def __len__(self) -> int: ...

    def __getitem__(self, i: int, /) -> bytes: ...


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class StreamingRoot:
    """Feed leaf hashes in order; ``root()`` at any time in O(log n) memory."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (height, hash) of complete subtrees
        self.size = 0

    def add(self, lh: bytes) -> None:
        height, h = 0, lh
        while self._stack and self._stack[-1][0] == height:
            _hgt, left = self._stack.pop()
            h = node_hash(left, h)
            height += 1
        self._stack.append((height, h))
        self.size += 1

    def add_subtree(self, height: int, h: bytes) -> None:
        """Add ``h``, the root of the next ``2**height`` leaves, at once: the same as adding them one
        by one. The stream's size must be a multiple of ``2**height`` (where such a subtree starts)."""
        if self.size % (1 << height):
            raise ValueError("a subtree must start at a multiple of its size")
        added = 1 << height
        while self._stack and self._stack[-1][0] == height:
            _hgt, left = self._stack.pop()
            h = node_hash(left, h)
            height += 1
        self._stack.append((height, h))
        self.size += added

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        h = self._stack[-1][1]
        for _hgt, left in reversed(self._stack[:-1]):
            h = node_hash(left, h)
        return h


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    s = StreamingRoot()
    for lh in leaf_hashes:
        s.add(lh)
    return s.root()


def perfect_root(leaf_hashes: list[bytes]) -> bytes:
    """The root of a complete tree (``len(leaf_hashes)`` a power of two), level by level."""
    level = leaf_hashes
    sha256 = hashlib.sha256
    while len(level) > 1:
        level = [sha256(b"\x01" + left + right).digest() for left, right in zip(level[0::2], level[1::2], strict=True)]
    return level[0]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def subtree_root(hashes: HashList, lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(subtree_root(hashes, lo, lo + k), subtree_root(hashes, lo + k, hi))


def inclusion_proof(hashes: HashList, index: int, size: int) -> list[bytes]:
    """RFC 6962 PATH(index, D[0:size])."""
    if not 0 <= index < size <= len(hashes):
        raise ValueError("index out of range")

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return path(m, lo, lo + k) + [subtree_root(hashes, lo + k, hi)]
        return path(m - k, lo + k, hi) + [subtree_root(hashes, lo, lo + k)]

    return path(index, 0, size)


def consistency_proof(hashes: HashList, old: int, new: int) -> list[bytes]:
    """RFC 6962 PROOF(old, D[0:new])."""
    if not 0 < old <= new <= len(hashes):
        raise ValueError("sizes out of range")

    def subproof(m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [subtree_root(hashes, lo, hi)]
        k = _split(n)
        if m <= k:
            return subproof(m, lo, lo + k, complete) + [subtree_root(hashes, lo + k, hi)]
        return subproof(m - k, lo + k, hi, False) + [subtree_root(hashes, lo, lo + k)]

    return subproof(old, 0, new, True) if old < new else []


def verify_inclusion(lh: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, lh
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if old > new or old == 0:
        return False
    if old == new:
        return not proof and old_root == new_root
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
