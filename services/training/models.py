"""Every model of the training service, imported so that ``Base.metadata`` is complete."""

from services.training.base import Base

__all__ = ["Base"]
