"""The staff workspace: families, forms, documents, the audit log and accounts."""
