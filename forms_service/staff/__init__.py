"""The staff workspace: families, forms, documents, the audit log and accounts.

``triage`` (the inbox, a referral's triage page and "My families"),
``dashboard`` (the manager's figures and claim export) and ``family`` (a
family's page and what staff do from it) add their routes to ``views.bp``
when the package is imported; ``views`` never imports them.
"""

from . import dashboard as dashboard
from . import family as family
from . import triage as triage
