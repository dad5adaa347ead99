from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase

from common.db import schema_metadata

SCHEMA = "training"
# Division codes compare and prefix-match byte-wise whatever the collation (LIKE '1411%').
CODE = String(12, collation="C")
# Associated data of the resident ID ciphertext and its blind index (common.fieldcrypt).
ID_NUMBER_CONTEXT = "training.trainee.id_number"


class Base(DeclarativeBase):
    """Every table of the training service lives in the ``training`` schema."""

    metadata = schema_metadata(SCHEMA)
