"""``print_ua.css``: the lean user-agent stylesheet must change speed, never the document.

The renderer swaps WeasyPrint's full HTML stylesheet for ``print_ua.css``
when a document uses only the elements that file covers. These tests render
every form's documents both ways and require identical bytes (the PDFs are
reproducible, so any difference in layout, text, tags or outline shows), and
check the fall-back when a template uses anything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from weasyprint import HTML

from forms_service.documents import DocumentRenderer, SubmissionRecord, speedups
from forms_service.documents.speedups import PrintHTML, lean_ua_covers, lean_ua_stylesheet
from tests import factories as fx


@pytest.fixture
def full_ua(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Render with WeasyPrint's own stylesheet, whatever the document holds."""
    monkeypatch.setattr(
        PrintHTML, "_ua_stylesheets", lambda self, forms=False: HTML._ua_stylesheets(self, forms)
    )
    yield


def _render(case: str) -> list[bytes]:
    form, answers = fx.document_case(case)
    docs = DocumentRenderer(fx.TEMPLATES, fx.CONTACTS).render(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    return [d for d in (docs.pdf, docs.family_pdf) if d is not None]


@pytest.mark.parametrize("case", sorted(fx.DOCUMENT_CASES))
def test_lean_stylesheet_gives_byte_identical_pdfs(
    case: str, request: pytest.FixtureRequest
) -> None:
    lean = _render(case)
    request.getfixturevalue("full_ua")
    full = _render(case)
    assert len(lean) == len(full)
    for mine, theirs in zip(lean, full, strict=True):
        assert mine == theirs


@pytest.mark.parametrize("case", sorted(fx.DOCUMENT_CASES))
def test_every_document_template_is_covered(case: str) -> None:
    """A template change that leaves the lean set makes rendering slower: say so here."""
    seen: list[bool] = []
    real = speedups.lean_ua_covers

    def spy(root: Any) -> bool:
        seen.append(real(root))
        return seen[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(speedups, "lean_ua_covers", spy)
        _render(case)
    assert seen and all(seen)


@pytest.mark.parametrize(
    "markup",
    [
        '<p>Call <a href="tel:01702215007">01702 215007</a></p>',
        "<p><input type=checkbox checked> Agreed</p>",
        '<p dir="rtl">مرحبا</p>',
        "<details><summary>More</summary><p>x</p></details>",
    ],
)
def test_anything_else_falls_back_to_weasyprints_stylesheet(markup: str) -> None:
    document = PrintHTML(string=f"<!DOCTYPE html><html><body>{markup}</body></html>")
    assert not lean_ua_covers(document.etree_element)
    assert lean_ua_stylesheet() not in document._ua_stylesheets()


def test_plain_markup_uses_the_lean_stylesheet() -> None:
    document = PrintHTML(
        string="<!DOCTYPE html><html lang=en><head><title>t</title></head>"
        "<body><h1>x</h1><table><tr><th>a</th><td>b<br>c</td></tr></table></body></html>"
    )
    assert document._ua_stylesheets() == [lean_ua_stylesheet()]
