from sqlalchemy.orm import DeclarativeBase

from common.db import schema_metadata

SCHEMA = "stations"


class Base(DeclarativeBase):
    """Every table of the stations service lives in the ``stations`` schema."""

    metadata = schema_metadata(SCHEMA)
