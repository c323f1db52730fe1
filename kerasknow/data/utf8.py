"""UTF-8 decoding that names the encoding a file is really in instead of guessing silently."""
import codecs
from typing import Optional

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "UTF-32 BE"),
    (codecs.BOM_UTF16_LE, "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "UTF-16 BE"),
)


def foreign_bom(head: bytes) -> Optional[str]:
    """Returns the encoding named by a non-UTF-8 byte-order mark at the start, else None."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def describe_invalid_utf8(data: bytes, error: UnicodeDecodeError) -> str:
    """A reject reason for bytes that are not UTF-8, naming a likely real encoding."""
    hint = ""
    try:
        data.decode("cp1252")
        hint = " (the bytes decode as Windows-1252/Latin-1: re-save the file as UTF-8)"
    except UnicodeDecodeError:
        hint = " (re-save the file as UTF-8)"
    return f"invalid UTF-8: byte 0x{data[error.start]:02x} at offset {error.start}{hint}"


def decode_utf8(data: bytes) -> str:
    """Decodes UTF-8 (an optional UTF-8 BOM is dropped).

    Raises:
        UnicodeDecodeError: With `reason` set to `describe_invalid_utf8`'s text.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UnicodeDecodeError(e.encoding, e.object, e.start, e.end, describe_invalid_utf8(data, e)) from None
