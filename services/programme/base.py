from sqlalchemy.orm import DeclarativeBase

from common.db import schema_metadata

SCHEMA = "programme"


class Base(DeclarativeBase):
    """Every table of the programme service lives in the ``programme`` schema."""

    metadata = schema_metadata(SCHEMA)
