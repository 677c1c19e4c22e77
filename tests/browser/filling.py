"""Fill any form definition's pages in a real browser from API-shaped answers.

The browser counterpart of ``tests/webuser.py``: the same mapping from answers
to posted names (``group-field``, ``date-day``/``-month``/``-year``, radios
"yes"/"no", confirm checkbox "y"), but typed and clicked through Playwright, so
GOV.UK Frontend's JavaScript (conditional reveals, character counts) runs.

Fields are filled in the order the page shows them, so a radio that reveals a
question is checked (and the reveal seen to open) before the revealed input is
filled. Fields missing from the answers (optional ones, or ones whose
``show_if`` does not hold) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from forms_service.definitions.model import Field, FormDefinition, Page
from forms_service.fieldtypes import reveal_layout
from forms_service.flow.navigation import visible_pages

#: Above this many options a choice is a <select>, not radios (see macros.html).
MAX_RADIOS = 12
CHECK_ANSWERS = "Check your answers before sending"


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _by_name(page: Any, name: str, tag: str = "") -> Any:
    return page.locator(f'{tag}[name="{name}"]')


def _radio(page: Any, name: str, value: str) -> Any:
    return page.locator(f'input[type="radio"][name="{name}"][value="{value}"]')


def _check_revealing(page: Any, name: str, value: str) -> None:
    """Check a radio that reveals questions: they must open only now.

    GOV.UK Frontend's radios script turns ``data-aria-controls`` into
    ``aria-controls`` when it starts, so a radio still carrying only the
    data attribute means the script did not run (blocked by the CSP, say).
    """
    radio = _radio(page, name, value)
    state = radio.evaluate(
        "el => [el.getAttribute('data-aria-controls'), el.getAttribute('aria-controls'),"
        " el.checked]"
    )
    pending, target, checked = state
    assert pending is None and target, f"GOV.UK Frontend did not start the reveal of {name}"
    revealed = page.locator(f'[id="{target}"]')
    if not checked:
        _expect()(revealed).to_be_hidden()
    radio.check()
    _expect()(revealed).to_be_visible()


def _fill_one(page: Any, fld: Field, value: Any, name: str, reveals: dict[str, Any]) -> None:
    if fld.type == "group":
        fill_fields(page, fld.fields, value, f"{name}-")
    elif fld.type == "date":
        year, month, day = str(value).split("-")
        for part, text in (("day", str(int(day))), ("month", str(int(month))), ("year", year)):
            _by_name(page, f"{name}-{part}", "input").fill(text)
    elif fld.options_from_answers:  # radios or a select, by how many people the answers offer
        select = _by_name(page, name, "select")
        if select.count():
            select.select_option(str(value))
        else:
            _radio(page, name, str(value)).check()
    elif fld.type == "yes_no" or (fld.type == "choice" and len(fld.options) <= MAX_RADIOS):
        option = ("yes" if value else "no") if fld.type == "yes_no" else str(value)
        if option in reveals:
            _check_revealing(page, name, option)
        else:
            _radio(page, name, option).check()
    elif fld.type == "choice":
        _by_name(page, name, "select").select_option(str(value))
    elif fld.type == "confirm":
        page.locator(f'input[type="checkbox"][name="{name}"][value="y"]').set_checked(bool(value))
    elif fld.type == "multi_choice":
        for opt in fld.options:
            box = page.locator(f'input[type="checkbox"][name="{name}"][value="{opt.value}"]')
            box.set_checked(opt.value in value)
    elif fld.type == "long_text":
        _by_name(page, name, "textarea").fill(str(value))
    else:  # text, email, phone, postcode, nhs_number, number
        _by_name(page, name, "input").fill(str(value))


def fill_fields(
    page: Any, fields: tuple[Field, ...], answers: dict[str, Any], prefix: str = ""
) -> None:
    """Type ``answers`` into the inputs of ``fields`` on the current page.

    Fields go in the order the page shows them (``reveal_layout``): a radio,
    then the questions its chosen answer reveals, then the next field.
    """
    for fld, reveals in reveal_layout(fields):
        value = answers.get(fld.name)
        if value is None or fld.type == "repeating":
            continue
        _fill_one(page, fld, value, f"{prefix}{fld.name}", reveals)
        chosen = {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
        for inner in reveals.get(str(chosen), []):
            if answers.get(inner.name) is not None:
                _fill_one(page, inner, answers[inner.name], f"{prefix}{inner.name}", {})


def _path(form: FormDefinition, *parts: str) -> str:
    return "/".join(["/forms", form.id, *parts])


def _url_is(path: str) -> re.Pattern[str]:
    return re.compile(rf"^https?://[^/]+{re.escape(path)}$")


def click_and_arrive(page: Any, button: str, path: str, heading: str) -> None:
    """Press ``button`` and expect to land on ``path`` with ``heading``.

    On failure the page's error summary is reported, which is usually the
    reason (a mapping from answers to inputs gone wrong, or a server rule).
    """
    page.get_by_role("button", name=button, exact=True).click()
    try:
        _expect()(page).to_have_url(_url_is(path))
    except AssertionError:
        summary = page.locator(".govuk-error-summary")
        detail = summary.inner_text() if summary.count() else page.locator("main").inner_text()
        raise AssertionError(
            f"after {button!r} on {page.url}: expected {path}\n{detail[:3000]}"
        ) from None
    expect_heading(page, heading)


def expect_heading(page: Any, text: str) -> None:
    _expect()(page.get_by_role("heading", level=1)).to_have_text(text)


#: Called with (page, label) when a page of a new kind is first reached.
OnPage = Callable[[Any, str], None]


def fill_list_page(
    page: Any, form: FormDefinition, pg: Page, answers: dict[str, Any], on_page: OnPage
) -> None:
    """Add each item through the add page, then leave the list page with Continue."""
    group = pg.repeating
    assert group is not None and group.item_label
    items = answers.get(group.name) or []
    shown = page.locator("#items .govuk-summary-list__row").count()
    assert shown == 0, f"{pg.id} already lists {shown} item(s); this adds to an empty list"
    on_page(page, "list (empty)")
    for count, item in enumerate(items):
        link = f"Add another {group.item_label}" if count else f"Add {group.a_item}"
        page.get_by_role("link", name=link, exact=True).click()
        expect_heading(page, f"Add {group.a_item}")
        _expect()(page).to_have_url(_url_is(_path(form, pg.id, "add")))
        on_page(page, "add item")
        fill_fields(page, group.fields, item)
        click_and_arrive(page, f"Save {group.item_label}", _path(form, pg.id), pg.title)
        _expect()(page.locator("#items h2")).to_have_text(
            f"You have added {group.count_items(count + 1)}"
        )
    if items:
        on_page(page, "list (with items)")


def fill_form(page: Any, form: FormDefinition, answers: dict[str, Any], on_page: OnPage) -> None:
    """From the first page to check answers: every visible page, in order.

    ``on_page(page, kind)`` is called on each page once it is showing, with
    the kind of page (``"question"``, ``"list (empty)"``, ``"add item"``…),
    so a test can run axe on one page of each kind.
    """
    pages = visible_pages(form, answers)
    for index, pg in enumerate(pages):
        _expect()(page).to_have_url(_url_is(_path(form, pg.id)))
        expect_heading(page, pg.title)
        following = pages[index + 1] if index + 1 < len(pages) else None
        nxt = _path(form, following.id) if following else _path(form, "check-answers")
        title = following.title if following else CHECK_ANSWERS
        if pg.repeating is not None:
            fill_list_page(page, form, pg, answers, on_page)
        else:
            on_page(page, "question")
            fill_fields(page, pg.fields, answers)
        click_and_arrive(page, "Continue", nxt, title)
