"""Attachments without a web request: what a file is (by content), the clamd client, and
the answer field's shape."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from marshmallow import ValidationError

from forms_service.attachments import scan
from forms_service.attachments.kinds import nouns, sniff
from forms_service.definitions.model import Field
from forms_service.fieldtypes import display_value, type_of
from forms_service.fieldtypes.files import size_text
from tests.clamd import EICAR, FakeClamd

FILES = Field(
    name="attachments",
    type="attachments",
    label="Files",
    required=False,
    max_files=3,
    max_bytes=3 * 1024 * 1024,
    accept=("pdf", "docx", "jpeg", "png"),
)
ID = "3f0c2a7e-9d1b-4c5e-8a6f-0b1c2d3e4f50"


def _word() -> bytes:
    out = io.BytesIO()
    docx.Document().save(out)
    return out.getvalue()


def _zip(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (_word(), "docx"),
        (b"<!DOCTYPE html><html>%PDF-1.7</html>", None),  # a .pdf that is really HTML
        (b" %PDF-1.7", None),  # the signature must start the file
        (_zip({"notes.txt": "plain zip"}), None),
        (_zip({"word/document.xml": "<w/>"}), None),  # no [Content_Types].xml: not Word
        (_zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}), "docx"),
        (b"PK\x03\x04 broken zip", None),
        (b"", None),
    ],
)
def test_a_file_is_known_by_its_bytes(content: bytes, kind: str | None) -> None:
    assert sniff(content) == kind


def test_accepted_kinds_in_words() -> None:
    assert nouns(("pdf", "docx", "jpeg", "png")) == "a PDF, Word document, JPEG or PNG"
    assert nouns(("pdf",)) == "a PDF"
    assert size_text(3 * 1024 * 1024) == "3MB"
    assert size_text(1536 * 1024) == "1.5MB"
    assert size_text(2000) == "2KB"


def test_clamd_finds_eicar_in_a_stream_of_many_chunks() -> None:
    large = b"%PDF-1.7\n" + b"a" * (3 * scan.CHUNK + 17)
    with FakeClamd() as clamd:
        scan.scan(clamd.path, large)
        with pytest.raises(scan.Infected) as found:
            scan.scan(clamd.path, large + EICAR)
        assert found.value.signature == "Eicar-Test-Signature"
        assert clamd.scanned == [large, large + EICAR]


def test_a_scanner_that_cannot_answer_fails_closed() -> None:
    with FakeClamd(broken=True) as clamd:
        with pytest.raises(scan.ScannerFailed):
            scan.scan(clamd.path, b"%PDF-1.7")
        with pytest.raises(scan.ScannerFailed):
            scan.scan(clamd.path + ".gone", b"%PDF-1.7")
    with pytest.raises(scan.ScannerFailed):
        scan.scan("127.0.0.1:9", b"%PDF-1.7", timeout=2)


def test_the_answer_is_a_list_of_ids_or_the_servers_records() -> None:
    answer = type_of(FILES).answer_field(FILES, {})
    assert answer.deserialize([ID]) == [{"id": ID}]
    record = {"id": ID, "name": "gcp2.pdf", "size": 2048, "kind": "pdf"}
    assert answer.deserialize([record]) == [record]
    assert answer.deserialize([]) == []
    for bad in (
        "not a list",
        ["../../etc/passwd"],
        [ID, ID],
        [ID.upper()],
        [{**record, "extra": 1}],
        [{**record, "kind": "exe"}],
        ["3f0c2a7e-9d1b-4c5e-8a6f-0b1c2d3e4f5" + str(n) for n in range(4)],
    ):
        with pytest.raises(ValidationError):
            answer.deserialize(bad)


def test_files_read_by_name_and_size() -> None:
    files = [
        {"id": ID, "name": "gcp2.pdf", "size": 2048, "kind": "pdf"},
        {"id": ID, "name": "genogram.png", "size": 1572864, "kind": "png"},
    ]
    assert display_value(FILES, files) == "gcp2.pdf (2KB)\ngenogram.png (1.5MB)"
    assert display_value(FILES, []) == "Not given"
