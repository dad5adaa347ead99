from sqlalchemy.orm import DeclarativeBase

from common.db import schema_metadata

SCHEMA = "gateway"


class Base(DeclarativeBase):
    """Every table of the gateway lives in the ``gateway`` schema."""

    metadata = schema_metadata(SCHEMA)
