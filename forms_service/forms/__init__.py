"""WTForms page classes built from form definitions."""
