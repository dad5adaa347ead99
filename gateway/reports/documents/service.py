"""Making, finding and reading report revisions (ADR 0081).

Generation reads every figure first (no transaction is held while the services answer),
then, under a lock on the document and period, compares the content's hash with the latest
revision's: the same hash confirms that revision, another makes the next one, naming it.
"""

import hashlib
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import NATION, Principal, Role
from common.authz import require_division_reader, require_division_writer, role_forbidden
from common.bulkwrite import Database
from common.errors import Forbidden, NotFound, Unprocessable
from common.periods import Period
from gateway.reports.documents import repository
from gateway.reports.documents.canonical import dumps as canonical_json
from gateway.reports.documents.catalogue import CURRENT_VERSION
from gateway.reports.documents.figures import Reader, read_content
from gateway.reports.documents.models import NATION_CODE, ReportRevision
from gateway.reports.documents.subjects import Subject

GENERATE = ("make a report", "生成报告")
READ = ("read reports", "查看报告")

# Called in the transaction that makes or confirms a revision (delivery hooks in here): a
# session's (a job's), or a pooled connection's (the POST route's, ADR 0101).
RevisionHook = Callable[[Database, ReportRevision], Awaitable[None]]
# Where the revision is stored, opened once the figures are in: a transaction that commits
# when the block ends without an exception.
Transaction = Callable[[], AbstractAsyncContextManager[Database]]


@dataclass(frozen=True)
class Superseded:
    """What a revision's answer names of the one it supersedes."""

    revision: int
    content_hash: str


@dataclass(frozen=True)
class Made:
    revision: ReportRevision
    created: bool
    supersedes: Superseded | None


def stored_division(subject: Subject) -> str:
    return NATION_CODE if subject.code == NATION else subject.code


def require_maker(principal: Principal, subject: Subject) -> None:
    """Admins, and officials whose subtree holds the division (the nation: national ones)."""
    if subject.code == NATION:
        if principal.role is Role.ADMIN or (principal.role is Role.OFFICIAL and principal.national):
            return
        if principal.role is Role.OFFICIAL:
            raise Forbidden(
                "only national officials and admins make the national report",
                detail_zh="只有全国范围的官员和管理员可以生成全国报告",
                code="outside_scope",
            )
        raise role_forbidden(principal, *GENERATE)
    require_division_writer(principal, subject.code, doing=GENERATE[0], doing_zh=GENERATE[1])


def require_reader(principal: Principal, subject: Subject) -> None:
    code = None if subject.code == NATION else subject.code
    require_division_reader(principal, code, doing=READ[0], doing_zh=READ[1])


def canonical(content: dict[str, object]) -> tuple[bytes, str]:
    body = canonical_json(content)
    return body, "sha256:" + hashlib.sha256(body).hexdigest()


async def generate(
    transaction: Transaction,
    reader: Reader,
    subject: Subject,
    period: Period,
    created_by: str,
    hooks: list[RevisionHook],
) -> Made:
    content = await read_content(reader, subject, period)
    body, digest = canonical(content.model_dump(mode="json", by_alias=True))
    async with transaction() as db:
        return await store(db, subject, period, body, digest, created_by, hooks)


async def store(
    db: Database,
    subject: Subject,
    period: Period,
    body: bytes,
    digest: str,
    created_by: str,
    hooks: list[RevisionHook],
) -> Made:
    """The content's revision: the latest one when its hash is the same, else the next one,
    naming the latest (in one statement, ``repository.store``)."""
    document, version = subject.document.value, str(CURRENT_VERSION)
    division = stored_division(subject)
    stored = await repository.store(
        db, document, version, division, period.label, body, digest, created_by
    )
    # The same hash is the same bytes: the body is the stored one either way.
    revision = ReportRevision(
        id=stored.id,
        document_type=document,
        document_version=version,
        division=division,
        period=period.label,
        revision=stored.revision,
        supersedes_id=stored.supersedes_id,
        body=body,
        content_hash=digest,
        created_by=stored.created_by,
        created_at=stored.created_at,
    )
    supersedes = None
    if stored.supersedes_revision is not None and stored.supersedes_hash is not None:
        supersedes = Superseded(stored.supersedes_revision, stored.supersedes_hash)
    made = Made(revision, created=stored.created, supersedes=supersedes)
    for hook in hooks:
        await hook(db, made.revision)
    return made


def revision_number(raw: str) -> int | None:
    """``latest`` (None) or a revision number."""
    if raw == "latest":
        return None
    if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31:
        return int(raw)
    raise Unprocessable(
        f"revision must be a number or latest; got {raw!r}",
        detail_zh="revision 应为修订号或 latest",
        code="invalid_revision",
        field="revision",
        location="path",
    )


async def read(
    session: AsyncSession, subject: Subject, period: Period, number: int | None
) -> tuple[ReportRevision, Superseded | None]:
    """A revision (the latest when ``number`` is None) and the one it supersedes."""
    key = (subject.document.value, str(CURRENT_VERSION), stored_division(subject), period.label)
    if number is None:
        found = await repository.latest(session, *key)
    else:
        found = await repository.numbered(session, *key, number)
    if found is None:
        raise NotFound(
            f"no {key[0]} of {subject.code} for {period.label}"
            + ("" if number is None else f" revision {number}"),
            detail_zh=f"没有 {subject.code} {period.label_zh}的报告"
            + ("" if number is None else f"第 {number} 次修订"),
            code="report_not_found",
        )
    return found, await _superseded(session, found)


async def _superseded(session: AsyncSession, revision: ReportRevision) -> Superseded | None:
    if revision.supersedes_id is None:
        return None
    older = await repository.by_id(session, revision.supersedes_id)
    return None if older is None else Superseded(older.revision, older.content_hash)


async def revisions(
    session: AsyncSession, subject: Subject, period: Period
) -> list[ReportRevision]:
    key = (subject.document.value, str(CURRENT_VERSION), stored_division(subject), period.label)
    return list(await repository.all_of(session, *key))
