"""The reader of the feeds for webhook subscriptions, on pgqueuer's schedule (ADR 0084)."""

from gateway.feeds.subscriptions import follower
from gateway.jobs import JobContext, schedule


@schedule("webhooks.follow", "* * * * *")
async def follow_feeds(ctx: JobContext) -> None:
    """Each minute, once across every worker: the feeds' new events to their subscriptions."""
    await follower.follow(ctx)
