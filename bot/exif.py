"""Whether a photo says where it was taken: a JPEG's Exif block with a GPS position.

Phones write the place into every photo; published as it is, a picture of a household or
a child gives away where they live (R-REV-8: personal information is de-identified).
Pure and dependency-free: only the Exif header is read, never the picture.
"""

from __future__ import annotations

import struct

_APP1 = b"\xff\xe1"
_GPS_IFD = 0x8825
_GPS_LATITUDE = 0x0002
_GPS_LONGITUDE = 0x0004
_SCAN_BYTES = 256 * 1024  # Exif sits at the start of the file


def _exif(data: bytes) -> bytes | None:
    """The TIFF block of the first Exif APP1 segment, if the JPEG has one."""
    if not data.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at + 4 <= min(len(data), _SCAN_BYTES):
        if data[at] != 0xFF:
            return None
        marker, size = data[at:at + 2], struct.unpack(">H", data[at + 2:at + 4])[0]
        body = data[at + 4:at + 2 + size]
        if marker == _APP1 and body.startswith(b"Exif\x00\x00"):
            return body[6:]
        if marker in (b"\xff\xda", b"\xff\xd9"):  # image data starts: no Exif before it
            return None
        at += 2 + size
    return None


def _entries(tiff: bytes, offset: int, order: str) -> dict[int, tuple[int, int, bytes]]:
    """tag -> (type, count, 4-byte value/offset) of one IFD."""
    (count,) = struct.unpack(order + "H", tiff[offset:offset + 2])
    out = {}
    for i in range(count):
        raw = tiff[offset + 2 + 12 * i: offset + 14 + 12 * i]
        if len(raw) < 12:
            break
        tag, kind, n = struct.unpack(order + "HHI", raw[:8])
        out[tag] = (kind, n, raw[8:12])
    return out


def has_location(data: bytes) -> bool:
    """True when the photo carries a GPS latitude and longitude."""
    tiff = _exif(data)
    if tiff is None or len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return False
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        (first,) = struct.unpack(order + "I", tiff[4:8])
        gps = _entries(tiff, first, order).get(_GPS_IFD)
        if gps is None:
            return False
        (where,) = struct.unpack(order + "I", gps[2])
        tags = _entries(tiff, where, order)
    except struct.error:
        return False
    return _GPS_LATITUDE in tags and _GPS_LONGITUDE in tags
