"""The modules whose ``@job`` / ``@schedule`` registrations the worker runs. A feature adds
its ``jobs`` module here (one line, keep it sorted)."""

FEATURES: tuple[str, ...] = (
    "gateway.feeds.subscriptions.jobs",
    "gateway.registry.exports.jobs",
    "gateway.reports.deliveries.jobs",
    "gateway.reports.documents.jobs",
)
