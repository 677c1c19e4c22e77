"""The depth check on JSON bodies: exact at the limit, blind to brackets inside strings."""

from __future__ import annotations

import pytest

from forms_service.web.json_limits import MAX_DEPTH, loads_bounded, too_deep


@pytest.mark.parametrize("opener,closer", [("[", "]"), ('{"a":', "}")])
def test_the_limit_is_exact(opener: str, closer: str) -> None:
    at_limit = opener * MAX_DEPTH + "1" * (opener == "[") + closer * MAX_DEPTH
    over = opener * (MAX_DEPTH + 1) + "1" * (opener == "[") + closer * (MAX_DEPTH + 1)
    assert not too_deep(at_limit.replace('{"a":1', '{"a":{}').encode())
    assert too_deep(over.encode())


def test_mixed_nesting_counts_every_level() -> None:
    """``{[...]}`` alternating: one level per bracket, whichever kind."""
    deep = "[{" * 17 + "}]" * 17  # 34 levels, never 33 of one kind in a row
    assert too_deep(deep.encode())
    assert not too_deep(("[{" * 16 + "}]" * 16).encode())


def test_brackets_inside_strings_do_not_count() -> None:
    text = '{"note": "' + "[" * 500 + '", "quote": "say \\"[[[[\\" twice", "x": []}'
    assert not too_deep(text.encode())
    assert loads_bounded(text)["x"] == []


def test_a_long_body_of_shallow_items_passes() -> None:
    body = "[" + ",".join(['{"a": [1, "x"]}'] * 20_000) + "]"
    assert len(loads_bounded(body)) == 20_000


def test_too_deep_is_a_value_error_so_flask_answers_400() -> None:
    with pytest.raises(ValueError):
        loads_bounded(b"[" * 100_000 + b"]" * 100_000)
