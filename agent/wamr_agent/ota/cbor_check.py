"""The shape checks a manifest passes before it is decoded (ota/FORMAT.md, check
2), the same as the firmware's C verifier makes: exactly one CBOR item filling
the manifest, containers nested at most 8 deep, strings of definite length,
and no key repeated in a map. cbor2 alone would accept trailing bytes and keep
the last of two equal keys, which the device refuses."""

from __future__ import annotations

MAX_DEPTH = 8
BREAK = 0xFF


class ShapeError(ValueError):
    """The manifest's CBOR breaks one of the rules above."""


def _head(data: bytes, at: int) -> tuple[int, int, int, int]:
    """(major type, additional info, argument, position after the head)."""
    if at >= len(data):
        raise ShapeError("truncated")
    major, info = data[at] >> 5, data[at] & 0x1F
    at += 1
    if info < 24:
        return major, info, info, at
    if info == 31:
        if not 2 <= major <= 5:
            raise ShapeError("indefinite length where none is allowed")
        return major, info, 0, at
    if info > 27:
        raise ShapeError("reserved additional information")
    size = 1 << (info - 24)
    if at + size > len(data):
        raise ShapeError("truncated")
    return major, info, int.from_bytes(data[at:at + size], "big"), at + size


def _item(data: bytes, at: int, depth: int) -> tuple[int, bytes | None]:
    """Checks the item at ``at``; (position after it, its bytes if it is a text string)."""
    major, info, arg, at = _head(data, at)
    while major == 6:  # a tag and the item it tags
        major, info, arg, at = _head(data, at)
    if major in (2, 3):
        if info == 31:
            raise ShapeError("a string of indefinite length")
        if at + arg > len(data):
            raise ShapeError("truncated")
        return at + arg, data[at:at + arg] if major == 3 else None
    if major not in (4, 5):
        return at, None
    if depth == MAX_DEPTH:
        raise ShapeError(f"nested deeper than {MAX_DEPTH}")
    keys: set[bytes] = set()
    count = 0
    while info == 31 or count < arg * (2 if major == 5 else 1):
        if info == 31 and at < len(data) and data[at] == BREAK:
            return at + 1, None
        at, text = _item(data, at, depth + 1)
        if major == 5 and count % 2 == 0 and text is not None:
            if text in keys:
                raise ShapeError(f"key {text.decode(errors='replace')!r} appears twice")
            keys.add(text)
        count += 1
    return at, None


def check_shape(data: bytes) -> None:
    """Raises ShapeError unless ``data`` is one item within the rules."""
    end, _ = _item(data, 0, 0)
    if end != len(data):
        raise ShapeError(f"{len(data) - end} bytes after the manifest's map")
