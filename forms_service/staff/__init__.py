"""The staff workspace: families, forms, documents, the audit log and accounts.

``triage`` (the inbox, a referral's triage page and "My families") and
``dashboard`` (the manager's figures and claim export) add their routes to
``views.bp`` when the package is imported; ``views`` never imports them.
"""

from . import dashboard as dashboard
from . import triage as triage
