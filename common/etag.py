"""Optimistic concurrency for offline edits: ``ETag`` out, ``If-Match`` in.

Each row carries an integer ``version`` bumped on every change; its ETag is ``"<version>"``.
An update must name the version it was based on: none is 428, a stale one is 412.

RFC 9110 wants the quotes (``If-Match: "4"``), but app developers often send the bare
version (``If-Match: 4``) they read from the body: that is taken as ``"4"`` — it cannot
mean anything else here — while any other unquoted text is a 400 saying how to send it,
never "changed since you read it".
"""

import re

from common.errors import BadRequest, PreconditionFailed, PreconditionRequired

_TAG = re.compile(r'^(?:W/)?"[\x21\x23-\x7e]*"$')
_BARE_VERSION = re.compile(r"^[0-9]{1,19}$")


def _tags(if_match: str) -> set[str]:
    """The entity tags of an ``If-Match`` value, weak ones as strong (we compare versions)."""
    tags = set()
    for raw in if_match.split(","):
        tag = raw.strip()
        if tag == "*" or _TAG.match(tag):
            tags.add(tag.removeprefix("W/"))
        elif _BARE_VERSION.match(tag):
            tags.add(etag(int(tag)))
        else:
            raise BadRequest(
                f'If-Match must be the ETag you read, with its quotes, like If-Match: "4"; '
                f"got {tag[:40]!r}",
                detail_zh='If-Match 应为读取时得到的 ETag(带引号),例如 If-Match: "4"',
                code="invalid_if_match",
                field="If-Match",
                location="header",
            )
    return tags


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
    tags = _tags(if_match)
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


def none_match(if_none_match: str | None, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag`` (or ``*``): the client holds this version, so
    the answer is 304 (RFC 9110 §13.1.2, weak comparison)."""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or tag.removeprefix("W/") in tags
