from sqlalchemy.orm import DeclarativeBase

from common.db import schema_metadata

SCHEMA = "training"


class Base(DeclarativeBase):
    """Every table of the training service lives in the ``training`` schema."""

    metadata = schema_metadata(SCHEMA)
