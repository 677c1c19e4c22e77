"""marshmallow's nested error messages, flattened to one list per dotted path.

Both the answers (a submission) and the meta-schema (a form file) are checked
by marshmallow, whose errors nest as the data does; both callers want them by
path, ``household.0.first_name``, so the walk is written once, here.
"""

from __future__ import annotations

from typing import Any

#: Where errors about the whole object (not one of its keys) are filed.
WHOLE = "_form"


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors as ``{"household.0.first_name": [...]}``.

    A schema-level error (marshmallow's ``_schema`` key) belongs to the object
    it is about, so it is filed under that object's path; one about the whole
    object is filed under ``"_form"``.
    """
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for sub_path, sub_messages in flatten_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(sub_messages)
    elif isinstance(messages, list):
        for item in messages:
            for sub_path, sub_messages in flatten_errors(item, prefix).items():
                flat.setdefault(sub_path, []).extend(sub_messages)
    else:
        flat.setdefault(prefix or WHOLE, []).append(str(messages))
    return flat
