"""Reading and replaying one delivery through its destination's path (a target's, a
subscription's): the same refusals for both, in their own words."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import Conflict, NotFound, Unprocessable
from gateway.reports.deliveries import repository, service
from gateway.reports.deliveries.models import Delivery
from gateway.reports.deliveries.secrets import Owner

_WORDS = {
    Owner.TARGET: ("target", "报送目标"),
    Owner.SUBSCRIPTION: ("subscription", "订阅"),
}


def delivery_not_found(delivery_id: int) -> NotFound:
    return NotFound(
        f"no delivery {delivery_id}",
        detail_zh=f"投递记录 {delivery_id} 不存在",
        code="delivery_not_found",
    )


def of_another(owner: Owner, owner_id: int, delivery: Delivery) -> Unprocessable:
    """422 ``delivery_of_another_target`` / ``…_subscription`` on ``delivery_id``."""
    word, word_zh = _WORDS[owner]
    theirs = delivery.target_id if owner is Owner.TARGET else delivery.subscription_id
    return Unprocessable(
        f"delivery {delivery.id} is not one of {word} {owner_id}"
        + (f" but of {word} {theirs}" if theirs is not None else ""),
        detail_zh=f"投递记录 {delivery.id} 不属于{word_zh} {owner_id}",
        code=f"delivery_of_another_{word}",
        field="delivery_id",
        location="path",
    )


async def lock_delivery(session: AsyncSession, delivery_id: int) -> Delivery:
    delivery = await repository.lock(session, delivery_id)
    if delivery is None:
        raise delivery_not_found(delivery_id)
    return delivery


def require_owned(owner: Owner, owner_id: int, delivery: Delivery) -> Delivery:
    if service.owner_of(delivery) != (owner, owner_id):
        raise of_another(owner, owner_id, delivery)
    return delivery


async def replay(
    session: AsyncSession, owner: Owner, destination: service.Destination, delivery: Delivery,
    now: datetime,
) -> None:  # fmt: skip
    """409 ``target_disabled`` / ``subscription_disabled`` through a disabled destination,
    409 ``delivery_pending`` while it is still being delivered; else deliver it again."""
    word, word_zh = _WORDS[owner]
    if destination.status != "active":
        raise Conflict(
            f"{word} {destination.id} is disabled ({destination.disabled_reason}); enable it first",
            detail_zh=f"{word_zh}已停用,请先启用",
            code=f"{word}_disabled",
        )
    if delivery.status == "pending":
        raise Conflict(
            f"delivery {delivery.id} is still being delivered",
            detail_zh="该投递仍在进行中",
            code="delivery_pending",
        )
    await service.replay(session, delivery, now)
