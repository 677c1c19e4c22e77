"""Form definitions: pure data loaded from ``form_schemas/`` (no Flask here)."""

from .loader import SchemaError, load_form
from .model import Field, FormDefinition, Page, resolve
from .registry import Registry, UnknownForm, check_schema_files

__all__ = [
    "Field",
    "FormDefinition",
    "Page",
    "Registry",
    "SchemaError",
    "UnknownForm",
    "check_schema_files",
    "load_form",
    "resolve",
]
