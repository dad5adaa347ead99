"""Optimistic concurrency for offline edits: ``ETag`` out, ``If-Match`` in.

Each row carries an integer ``version`` bumped on every change; its ETag is ``"<version>"``.
An update must name the version it was based on: none is 428, a stale one is 412.
"""

from common.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    if if_match is None:
        raise PreconditionRequired(
            "Send If-Match with the ETag of the version you read",
            detail_zh="请在 If-Match 中带上读取时的 ETag",
            code="if_match_required",
            field="If-Match",
            location="header",
        )
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" in tags or etag(version) in tags:
        return
    raise PreconditionFailed(
        f"The record changed since you read it (now version {version}); reload and retry",
        detail_zh=f"记录已被修改(当前版本 {version}),请刷新后重试",
        code="stale_version",
        field="If-Match",
        location="header",
        current_etag=etag(version),
    )
