"""Every table of the service, registered in one place.

Model modules import only ``db`` and ``clock``, never the functions that use
them, so this module can import them all without an import circle.
``create_schema`` makes missing tables (the embedded SQLite default);
PostgreSQL is changed only by migrations (``forms-service db-upgrade``).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from . import audit, jobs  # noqa: F401  (registers their tables)
from .attachments import models as attachment_models  # noqa: F401
from .auth import models as auth_models  # noqa: F401
from .db import Base
from .families import models as family_models  # noqa: F401
from .submissions import models as submission_models  # noqa: F401
from .workspace import models as workspace_models  # noqa: F401

metadata: MetaData = Base.metadata


def create_schema(engine: Engine) -> None:
    """Create missing tables, and keep an SQLite file readable by its owner only."""
    metadata.create_all(engine)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        for suffix in ("", "-wal", "-shm"):
            path = Path(database + suffix)
            if path.exists():
                os.chmod(path, 0o600)
