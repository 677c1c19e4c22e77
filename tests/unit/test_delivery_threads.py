"""``FORMS_DELIVERY_THREADS``: how many submissions the embedded mode renders at once."""

from __future__ import annotations

import pytest

from forms_service.config import ConfigError, settings_from_env


def test_default_is_two_delivery_threads() -> None:
    assert settings_from_env({}).delivery_threads == 2


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("4", 4), ("0", 1)])
def test_delivery_threads_from_the_environment(raw: str, expected: int) -> None:
    assert settings_from_env({"FORMS_DELIVERY_THREADS": raw}).delivery_threads == expected


def test_a_non_number_is_refused_with_the_variable_named() -> None:
    with pytest.raises(ConfigError, match="FORMS_DELIVERY_THREADS"):
        settings_from_env({"FORMS_DELIVERY_THREADS": "two"})
