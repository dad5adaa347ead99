"""Every model of the stations service, imported so that ``Base.metadata`` is complete."""

from services.stations.base import Base

__all__ = ["Base"]
