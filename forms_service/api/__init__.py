"""JSON API: list forms, describe them as JSON Schema, accept submissions."""
