"""Every model of the gateway, imported so that ``Base.metadata`` is complete."""

from gateway.base import Base

__all__ = ["Base"]
