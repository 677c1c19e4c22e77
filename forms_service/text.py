"""Text normalisation applied to every answer before it is stored.

The documented normalisation (README "What happens to what you type"):
Unicode NFC; line endings become ``\\n``; characters that XML 1.0 forbids (and
so would corrupt a DOCX or be dropped by the PDF) are removed; single-line
answers have runs of white space, including pasted line breaks, folded to one
space; in longer answers, more than one blank line between paragraphs becomes
one. What is stored is exactly what the documents and the email show.
"""

from __future__ import annotations

import re
import unicodedata

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
#: More than one blank line between paragraphs prints as empty pages, and says nothing.
_BLANK_LINES = re.compile(r"\n{3,}")


def strip_xml_illegal(value: str) -> str:
    """Remove characters that are illegal in XML 1.0 (and DEL)."""
    return _XML_ILLEGAL.sub("", value)


def normalise(value: str, *, single_line: bool) -> str:
    """The stored form of a typed answer (see module docstring)."""
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = strip_xml_illegal(value)
    if single_line:
        return _SPACES.sub(" ", value).strip()
    lines = [line.rstrip() for line in value.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines).strip("\n").strip())
