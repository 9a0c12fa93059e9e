"""Incremental detokenisation with stop strings, for streaming one sequence's text as it grows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

REPLACEMENT_CHAR = "\ufffd"   # what a byte-level tokenizer decodes half a UTF-8 character to


class TextAssembler:
    """Turns generated token ids into text deltas that never split a character or leak a stop string.

    The full text is re-decoded on each token (cheap for the lengths served here and always correct
    for byte-level BPE); what is released is the part that can no longer change: text ending in half a
    UTF-8 character is held back, and so is a suffix that could still grow into a stop string.
    """

    def __init__(self, decode: Callable[[Sequence[int]], str], stop: Sequence[str] = ()):
        self._decode = decode
        self._stop = tuple(s for s in stop if s)
        self._token_ids: list[int] = []
        self._undecoded = False
        self._text = ""
        self._released = 0
        self.stopped = False

    @property
    def text(self) -> str:
        """The final text so far (up to, not including, a matched stop string)."""
        return self._text

    def add(self, token_id: int) -> str:
        """Add one token; return the newly released text (maybe ""). Sets `stopped` on a stop string."""
        self._token_ids.append(token_id)
        text = self._decode(self._token_ids)
        search_from = max(0, self._released - max((len(s) for s in self._stop), default=0))
        cut = min((i for i in (text.find(s, search_from) for s in self._stop) if i >= 0), default=-1)
        if cut >= 0:
            self._text = text[:cut]
            self.stopped = True
            return self._release(len(self._text))
        self._text = text
        if text.endswith(REPLACEMENT_CHAR):
            return ""
        return self._release(len(text) - self._held_suffix(text))

    def append(self, token_id: int) -> None:
        """Add a token without decoding: for a request that neither streams nor has stop strings,
        the text is decoded once, by `flush`."""
        self._token_ids.append(token_id)
        self._undecoded = True

    def flush(self) -> str:
        """Release everything left (the sequence finished for another reason than a stop string)."""
        if self._undecoded:
            self._text, self._undecoded = self._decode(self._token_ids), False
        return self._release(len(self._text))

    def _held_suffix(self, text: str) -> int:
        """Length of the longest suffix of `text` that is a proper prefix of a stop string."""
        longest = 0
        for stop in self._stop:
            for length in range(min(len(stop) - 1, len(text)), longest, -1):
                if text.endswith(stop[:length]):
                    longest = length
                    break
        return longest

    def _release(self, end: int) -> str:
        end = max(end, self._released)
        delta = self._text[self._released:end]
        self._released = end
        return delta
