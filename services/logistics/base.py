from sqlalchemy.orm import DeclarativeBase

from common.db import schema_metadata

SCHEMA = "logistics"


class Base(DeclarativeBase):
    """Every table of the logistics service lives in the ``logistics`` schema."""

    metadata = schema_metadata(SCHEMA)
