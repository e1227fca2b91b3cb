"""Every model module, imported so that ``Base.metadata`` knows all tables: Alembic's autogenerate
and the test fixtures read the schema from here."""

import accounts.models  # noqa: F401
import api.models  # noqa: F401
import audit.models  # noqa: F401
import callbacks.models  # noqa: F401
import calllog.models  # noqa: F401
import directory.models  # noqa: F401
import notify.models  # noqa: F401
import reports.models  # noqa: F401
import ringing.models  # noqa: F401
import rota.models  # noqa: F401
import routing.models  # noqa: F401
import scheduler.models  # noqa: F401
import slots.models  # noqa: F401
import voice.models  # noqa: F401
from core.db import Base

metadata = Base.metadata
