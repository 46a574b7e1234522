"""A batch's answers written into one byte buffer by a compiled loop.

The answers of a batch are a fixed pattern of byte strings per lead (see
``LeadScorerModel._answer_items``): constant parts, and pieces that are made once per batch
(ids, numbers as orjson writes them) or once per distinct value (a reason's field and value).
Python makes the pieces; :func:`write_answers` copies them into place, without the GIL.
Measured with ``python -m bench.bench_batch_path --writer`` (the 1,000-lead sample batch,
thread CPU of its answers, median of 60, alternating): 2.41 ms with the copy against 3.75 ms
with the pieces in an object array joined by ``bytes.join`` (the path kept for when numba is
missing; both give the same bytes, tested).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is absent
    numba = None

HAVE_NUMBA = numba is not None


def _constant(text: bytes) -> np.ndarray:
    return np.frombuffer(text, dtype=np.uint8)


OPEN_FIRST, OPEN_NEXT = _constant(b'{"lead_id":'), _constant(b'},{"lead_id":')
PROBABILITY = _constant(b',"probability":')
OPEN_REASON, NEXT_REASON = _constant(b"{"), _constant(b"},{")
NEGATIVE = _constant(b',"direction":"-","contribution":')
POSITIVE = _constant(b',"direction":"+","contribution":')
FLAGS_AFTER_REASONS, FLAGS_ALONE = _constant(b'}],"flags":'), _constant(b'],"flags":')
CLOSE = _constant(b"}")


class Pieces:
    """Byte strings in one buffer: piece ``i`` is ``data[starts[i]:stops[i]]``."""

    __slots__ = ("data", "starts", "stops")

    def __init__(self, data: np.ndarray, starts: np.ndarray, stops: np.ndarray):
        self.data, self.starts, self.stops = data, starts, stops

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, part: slice) -> "Pieces":
        return Pieces(self.data, self.starts[part], self.stops[part])

    def tolist(self) -> list[bytes]:
        data = self.data
        return [data[a:b].tobytes() for a, b in zip(self.starts.tolist(), self.stops.tolist())]

    @classmethod
    def of(cls, pieces: Sequence[bytes]) -> "Pieces":
        sizes = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        ends = np.cumsum(sizes)
        return cls(np.frombuffer(b"".join(pieces), dtype=np.uint8), ends - sizes, ends)

    @classmethod
    def of_array(cls, dumped: bytes) -> "Pieces":
        """The items of a JSON array of numbers as written (``orjson.dumps`` of a numpy array):
        no item holds a comma."""
        data = np.frombuffer(dumped, dtype=np.uint8)
        if len(dumped) <= 2:
            empty = np.zeros(0, dtype=np.int64)
            return cls(data, empty, empty)
        commas = np.flatnonzero(data == 44)
        return cls(data, np.concatenate(([1], commas + 1)), np.concatenate((commas, [len(dumped) - 1])))


def write_answers(ids: Pieces, probabilities: Pieces, score_tier: Pieces, score_index: np.ndarray,
                  shown: np.ndarray, positive: np.ndarray, heads: Pieces, head_index: np.ndarray,
                  contributions: Pieces, contribution_index: np.ndarray, flags: Pieces) -> bytes:
    """The answers' JSON without the list's brackets (see ``LeadScorerModel._answer_items``).

    Per lead i: ``ids`` piece i, ``probabilities`` item i, ``score_tier`` piece
    ``score_index[i]``; per reason k of it (``shown[i, k]``), ``heads`` piece
    ``head_index[i, k]``, the direction by ``positive[i, k]``, ``contributions`` item
    ``contribution_index[i, k]``; then ``flags`` piece i.
    """
    if shown.shape[0] == 0:
        return b""
    out = _write(ids.data, ids.starts, ids.stops, probabilities.data, probabilities.starts, probabilities.stops,
                 score_tier.data, score_tier.starts, score_tier.stops, score_index, shown, positive, heads.data,
                 heads.starts, heads.stops, head_index, contributions.data, contributions.starts,
                 contributions.stops, contribution_index, flags.data, flags.starts, flags.stops,
                 OPEN_FIRST, OPEN_NEXT, PROBABILITY, OPEN_REASON, NEXT_REASON, NEGATIVE, POSITIVE,
                 FLAGS_AFTER_REASONS, FLAGS_ALONE, CLOSE)
    return out.tobytes()


if HAVE_NUMBA:
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def _copy(typingctx, out, at, data, start, size):
        """memcpy of ``data[start:start + size]`` to ``out[at:at + size]`` (C-contiguous uint8
        arrays; the caller keeps within bounds). LLVM's memcpy: the pieces here are 5-60
        bytes, where a byte loop took 0.85 ms and numba's slice assignment more for the 1,000-
        lead sample batch; this takes 0.17 ms (same bytes)."""
        for array in (out, data):
            if not (isinstance(array, types.Array) and array.ndim == 1 and array.layout == "C"
                    and array.dtype == types.uint8):
                return None  # no such signature: a compile error, never a wrong copy
        sig = types.void(out, at, data, start, size)

        def codegen(context, builder, signature, args):
            out_value, at_value, data_value, start_value, size_value = args
            target = context.make_array(signature.args[0])(context, builder, out_value)
            source = context.make_array(signature.args[2])(context, builder, data_value)
            cgutils.raw_memcpy(builder, builder.gep(target.data, [at_value]),
                               builder.gep(source.data, [start_value]), size_value, 1)
            return context.get_dummy_value()

        return sig, codegen

    @numba.njit(cache=True, nogil=True)
    def _put(out, at, data, start, stop):
        _copy(out, at, data, start, stop - start)
        return at + (stop - start)

    @numba.njit(cache=True, nogil=True)
    def _write(ids, ids_a, ids_b, p, p_a, p_b, st, st_a, st_b, score_index, shown, positive, heads, heads_a,
               heads_b, head_index, c, c_a, c_b, c_index, flags, flags_a, flags_b, open_first, open_next,
               probability, open_reason, next_reason, negative, positive_text, flags_after, flags_alone,
               close):
        n, k = shown.shape
        size = close.shape[0]
        for i in range(n):
            s = score_index[i]
            size += (open_next.shape[0] + ids_b[i] - ids_a[i] + probability.shape[0] + p_b[i] - p_a[i]
                     + st_b[s] - st_a[s] + flags_b[i] - flags_a[i] + flags_after.shape[0])
            for r in range(k):
                if shown[i, r]:
                    h, q = head_index[i, r], c_index[i, r]
                    size += next_reason.shape[0] + heads_b[h] - heads_a[h] + negative.shape[0] + c_b[q] - c_a[q]
        out = np.empty(size, dtype=np.uint8)
        at = 0
        for i in range(n):
            if i == 0:
                at = _put(out, at, open_first, 0, open_first.shape[0])
            else:
                at = _put(out, at, open_next, 0, open_next.shape[0])
            at = _put(out, at, ids, ids_a[i], ids_b[i])
            at = _put(out, at, probability, 0, probability.shape[0])
            at = _put(out, at, p, p_a[i], p_b[i])
            s = score_index[i]
            at = _put(out, at, st, st_a[s], st_b[s])
            any_shown = False
            for r in range(k):
                if not shown[i, r]:
                    continue
                if any_shown:
                    at = _put(out, at, next_reason, 0, next_reason.shape[0])
                else:
                    at = _put(out, at, open_reason, 0, open_reason.shape[0])
                any_shown = True
                h = head_index[i, r]
                at = _put(out, at, heads, heads_a[h], heads_b[h])
                if positive[i, r]:
                    at = _put(out, at, positive_text, 0, positive_text.shape[0])
                else:
                    at = _put(out, at, negative, 0, negative.shape[0])
                q = c_index[i, r]
                at = _put(out, at, c, c_a[q], c_b[q])
            if any_shown:
                at = _put(out, at, flags_after, 0, flags_after.shape[0])
            else:
                at = _put(out, at, flags_alone, 0, flags_alone.shape[0])
            at = _put(out, at, flags, flags_a[i], flags_b[i])
        at = _put(out, at, close, 0, close.shape[0])
        return out[:at]
