"""Register and back-fill files are read by :mod:`publisher.foundation.sheets` (the 转载任务 register, below the
report, reads them too); this name stays for the report's modules."""

from publisher.foundation.sheets import read_rows  # noqa: F401
