"""Which lane a submission goes to (issue 14), as a plain function of its answers."""

from __future__ import annotations

import pytest

from forms_service.config import ConfigError, settings_from_env
from forms_service.delivery.lanes import (
    DEFAULT_SLOW_LANE_CHARS,
    ITEM_CHARACTERS,
    NORMAL,
    SLOW,
    answer_size,
    lane_for,
)
from tests.factories import BUILDERS
from tests.largest import largest


def test_size_counts_text_and_repeating_items_only() -> None:
    answers = {
        "story": "x" * 100,
        "needs": ["EDU", "HLT"],  # ticked boxes: their text only
        "people": [{"name": "Amara"}, {"name": "Kayden"}],
        "consent": True,
        "age": 10,
    }
    assert answer_size(answers) == 100 + 6 + 2 * ITEM_CHARACTERS + 11


@pytest.mark.parametrize("form_id", sorted(BUILDERS))
def test_realistic_answers_are_normal_and_the_largest_slow(form_id: str) -> None:
    """The default lies far above what families write and below the largest accepted."""
    assert lane_for(BUILDERS[form_id](), DEFAULT_SLOW_LANE_CHARS) == NORMAL
    assert answer_size(BUILDERS[form_id]()) * 4 < DEFAULT_SLOW_LANE_CHARS
    _form, biggest = largest(form_id)
    assert lane_for(biggest, DEFAULT_SLOW_LANE_CHARS) == SLOW


def test_the_threshold_is_a_setting() -> None:
    settings = settings_from_env({"FORMS_SLOW_LANE_CHARS": "123", "FORMS_SLOW_LANE_THREADS": "2"})
    assert (settings.slow_lane_chars, settings.slow_lane_threads) == (123, 2)
    with pytest.raises(ConfigError, match="FORMS_SLOW_LANE_CHARS"):
        settings_from_env({"FORMS_SLOW_LANE_CHARS": "many"})
    assert settings_from_env({"FORMS_TASK_MODE": "deliver"}).task_mode == "deliver"
