"""The staff workspace: families, forms, documents, the audit log and accounts.

``triage`` (the inbox, a referral's triage page and "My families") adds its
routes to ``views.bp`` when the package is imported; ``views`` never imports it.
"""

from . import triage as triage
