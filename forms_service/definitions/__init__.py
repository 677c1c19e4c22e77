"""Form definitions: pure data loaded from ``form_schemas/`` (no Flask here).

``model`` holds the frozen dataclasses, ``loader`` reads a schema file,
``registry`` holds every loaded form. This package imports none of them, so
importing the model (as every field type does) never loads the loader.
"""
