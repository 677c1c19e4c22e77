"""What a file really is, from its bytes: never from its name or its Content-Type.

A browser's ``Content-Type`` comes from the file's extension and a client can
send anything, so an HTML page called ``report.pdf`` would pass a name check.
Each kind here is recognised by its signature (magic bytes); a Word document
is a zip, so it must also hold ``word/document.xml`` (an ordinary zip, or an
Excel file, does not).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One kind of file the service accepts."""

    key: str
    #: How a sentence names it: "a PDF, Word document, JPEG or PNG".
    noun: str
    extension: str
    maintype: str
    subtype: str


KINDS: dict[str, Kind] = {
    "pdf": Kind("pdf", "PDF", "pdf", "application", "pdf"),
    "docx": Kind(
        "docx",
        "Word document",
        "docx",
        "application",
        "vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "jpeg": Kind("jpeg", "JPEG", "jpg", "image", "jpeg"),
    "png": Kind("png", "PNG", "png", "image", "png"),
}

_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
)
_ZIP = b"PK\x03\x04"


def sniff(content: bytes) -> str | None:
    """The key of the kind ``content`` is (``"pdf"``, ``"docx"``…), or None."""
    for signature, key in _SIGNATURES:
        if content.startswith(signature):
            return key
    if content.startswith(_ZIP) and _is_word(content):
        return "docx"
    return None


def _is_word(content: bytes) -> bool:
    """Whether a zip is a Word document: it names ``word/document.xml`` in its directory."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "word/document.xml" in names and "[Content_Types].xml" in names


def nouns(keys: tuple[str, ...]) -> str:
    """ "a PDF, Word document, JPEG or PNG" for the accepted kinds, in their order."""
    names = [KINDS[k].noun for k in keys]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"a {listed}"
