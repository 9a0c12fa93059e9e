"""Amazon RDS and Aurora: the engine major versions in standard support, and the logs each exports."""

from __future__ import annotations

from datetime import date
from types import MappingProxyType
from typing import Mapping

# End of RDS/Aurora *standard* support per (engine, major version); None: no end announced.
# Source: the Amazon RDS User Guide release calendars ("Supported PostgreSQL/MySQL/MariaDB major
# versions on Amazon RDS") and the Aurora User Guide release calendars, as recorded 2026-12 from
# those pages' tables. Not re-fetched on this machine (no internet): re-check the rows when moving
# SUPPORT_CALENDAR_CHECKED. Past standard support RDS moves the database to paid Extended Support
# (or upgrades it), so a pinned old major is a finding.
STANDARD_SUPPORT_ENDS: Mapping[tuple[str, str], date | None] = MappingProxyType({
    ("postgres", "11"): date(2024, 2, 29), ("postgres", "12"): date(2025, 2, 28),
    ("postgres", "13"): date(2026, 2, 28), ("postgres", "14"): date(2027, 2, 28),
    ("postgres", "15"): date(2028, 2, 29), ("postgres", "16"): date(2029, 2, 28),
    ("postgres", "17"): date(2030, 2, 28),
    ("aurora-postgresql", "11"): date(2024, 2, 29), ("aurora-postgresql", "12"): date(2025, 2, 28),
    ("aurora-postgresql", "13"): date(2026, 2, 28), ("aurora-postgresql", "14"): date(2027, 2, 28),
    ("aurora-postgresql", "15"): date(2028, 2, 29), ("aurora-postgresql", "16"): date(2029, 2, 28),
    ("aurora-postgresql", "17"): date(2030, 2, 28),
    ("mysql", "5.7"): date(2024, 2, 29), ("mysql", "8.0"): date(2026, 7, 31), ("mysql", "8.4"): date(2029, 7, 31),
    ("aurora-mysql", "5.7"): date(2024, 10, 31), ("aurora-mysql", "8.0"): None,
    ("mariadb", "10.4"): date(2024, 6, 18), ("mariadb", "10.5"): date(2025, 6, 24),
    ("mariadb", "10.6"): date(2026, 8, 31), ("mariadb", "10.11"): date(2028, 2, 29),
    ("mariadb", "11.4"): date(2029, 5, 31),
})

# The day the calendar was last recorded: versions are judged as of this date, so a plan gives the
# same verdict tomorrow (as policies/facts/eks.py does for Kubernetes).
SUPPORT_CALENDAR_CHECKED = date(2026, 12, 2)

# Engines whose major version is the first number from 10 on (PostgreSQL); the others use two.
SINGLE_NUMBER_MAJORS = ("postgres", "aurora-postgresql")

# The CloudWatch log type each engine must export (`enabled_cloudwatch_logs_exports`): the one that
# carries connection and authentication failures. Source: RDS User Guide, "Publishing database logs
# to Amazon CloudWatch Logs" (log types per engine), checked 2026-12.
REQUIRED_LOG_EXPORTS: Mapping[str, str] = MappingProxyType({
    "postgres": "postgresql", "aurora-postgresql": "postgresql",
    "mysql": "error", "aurora-mysql": "error", "aurora": "error", "mariadb": "error",
    "oracle-ee": "alert", "oracle-se2": "alert", "sqlserver-ee": "error", "sqlserver-se": "error",
    "sqlserver-ex": "error", "sqlserver-web": "error",
})


def major_version(engine: str, version: str) -> str:
    """'16.4' -> '16' (PostgreSQL), '9.6.24' -> '9.6', '8.0.mysql_aurora.3.05.2' -> '8.0'."""
    parts = version.split(".")
    if engine in SINGLE_NUMBER_MAJORS and parts[0].isdigit() and int(parts[0]) >= 10:
        return parts[0]
    return ".".join(parts[:2])
