"""What a database error becomes for the client, and the retry of a write that lost a race.

PostgreSQL says what went wrong in its SQLSTATE (Appendix A of its manual); the asyncpg
driver keeps it on the error SQLAlchemy raises (``exc.orig.sqlstate``) but maps few errors
to SQLAlchemy's classes, so they are told apart here by SQLSTATE:

- the database is down, restarting or overloaded — ``08`` connection exceptions,
  ``57P01`` admin shutdown ("terminating connection due to administrator command", also a
  restart: "the database system is shutting down"), ``57P02`` crash shutdown, ``57P03``
  cannot connect now ("the database system is starting up"), ``53`` insufficient resources
  (too many connections), ``57014`` a statement cancelled (timeout), ``55P03`` a lock not
  available in time: **503** ``database_unavailable`` with ``Retry-After``;
- the transaction lost a race — ``40P01`` deadlock, ``40001`` serialization failure: the
  request is **retried** as a whole (``TransactionRetryMiddleware``, up to ``ATTEMPTS``
  times: its transaction was rolled back, so it starts afresh), and only when every attempt
  lost is it **503** ``transaction_conflict`` with ``Retry-After``;
- ``23`` integrity (a concurrent writer won): **409**; ``22`` data exceptions (a value out of
  range, text with NUL) and values the driver refuses to send (an integer past int64): **422**;
- anything else is a bug: 500.

Messages never carry the statement or its parameters (personal data).
"""

import asyncio
import random
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.errors import DATABASE_RETRY_AFTER, handle_unexpected, problem_response, wants_chinese
from common.logging import error_facts, get_logger

log = get_logger(__name__)

UNAVAILABLE_CLASSES = ("08", "53", "58")
UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "57014", "55P03"})
RACE_STATES = frozenset({"40001", "40P01"})
ATTEMPTS = 3
CONFLICT_RETRY_AFTER = "1"
# A body up to this size is kept for a retry (the uploads of a county fit); a larger one is
# answered 503 with Retry-After instead, rather than held twice in memory.
RETRY_BODY_LIMIT = 16 * 1024 * 1024
_RETRY_SCOPE_KEY = "ruralnet.retry"


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, if the driver gave one."""
    for candidate in (getattr(exc, "orig", None), exc.__cause__, exc):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


def _refused_value(exc: BaseException) -> bool:
    """The driver refused a parameter before sending it (a number past int64 …): the input
    is wrong, the database is fine. asyncpg's client-side DataError is a ValueError."""
    return isinstance(getattr(getattr(exc, "orig", None), "__cause__", None), ValueError)


def _is_unavailable(exc: BaseException, state: str | None) -> bool:
    if state is not None and (state in UNAVAILABLE_STATES or state[:2] in UNAVAILABLE_CLASSES):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError | OSError
    )


class _RetryRequest:
    """Set by the error handler, read by the middleware: this attempt lost a race."""

    __slots__ = ("wanted",)

    def __init__(self) -> None:
        self.wanted = False


async def handle_database(request: Request, exc: Exception) -> JSONResponse:
    zh = wants_chinese(request)
    state = sqlstate(exc)
    if state in RACE_STATES:
        retry = request.scope.get(_RETRY_SCOPE_KEY)
        if isinstance(retry, _RetryRequest):
            retry.wanted = True
        log.info("transaction lost a race", sqlstate=state)
        return problem_response(
            request,
            status=503,
            code="transaction_conflict",
            title="写入冲突" if zh else "Write conflict",
            detail="与同时进行的其他写入冲突,请稍后重试"
            if zh
            else "Another write to the same records got in the way; retry the request",
            headers={"Retry-After": CONFLICT_RETRY_AFTER},
        )
    if _is_unavailable(exc, state) and not _refused_value(exc):
        log.warning("database unavailable", error=type(exc).__name__, sqlstate=state)
        return problem_response(
            request,
            status=503,
            code="database_unavailable",
            title="数据库暂不可用" if zh else "Database unavailable",
            detail="数据库暂时无法访问,请稍后重试"
            if zh
            else "The database cannot be reached; retry later",
            headers={"Retry-After": DATABASE_RETRY_AFTER},
        )
    if isinstance(exc, sa_exc.IntegrityError) or (state or "").startswith("23"):
        # Domain code checks its rules first; reaching here means a concurrent writer won.
        # The constraint, never the message: its DETAIL quotes the values (ADR 0010).
        log.info("integrity conflict", **error_facts(exc))
        return problem_response(
            request,
            status=409,
            code="conflict",
            title="冲突" if zh else "Conflict",
            detail="与已有数据冲突,请刷新后重试"
            if zh
            else "Conflicts with existing data; reload and retry",
        )
    if isinstance(exc, sa_exc.DataError) or (state or "").startswith("22") or _refused_value(exc):
        log.info("value refused by the database", sqlstate=state)
        return problem_response(
            request,
            status=422,
            code="invalid_value",
            title="取值无效" if zh else "Invalid value",
            detail="某个取值超出数据库允许的范围"
            if zh
            else "A value is out of the range the database accepts",
        )
    return await handle_unexpected(request, exc)


class TransactionRetryMiddleware:
    """Runs a write again when its transaction lost a deadlock or serialization race.

    Pure ASGI, inside the request-id middleware (one request, one id and one log line). The
    body is kept as the app reads it, so a retry reads the same bytes; an attempt that lost
    (``handle_database`` says so before its response starts) is answered to nobody, and the
    next starts after a short random pause so that the two racers do not meet again.
    """

    def __init__(self, app: ASGIApp, *, attempts: int = ATTEMPTS) -> None:
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        kept: list[bytes] = []
        size = 0
        complete = False

        async def keeping() -> Message:
            nonlocal size, complete
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= RETRY_BODY_LIMIT:
                    kept.append(chunk)  # the same bytes the app holds: no copy
                else:
                    kept.clear()  # too large to retry: not held twice
                complete = not message.get("more_body", False)
            return message

        source: Receive = keeping
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            if not await self._attempt(scope, source, send, last=last, body_size=lambda: size):
                return
            log.info("retrying the request", attempt=attempt + 1)
            await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
            source = self._replay(kept, complete, keeping)

    async def _attempt(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        last: bool,
        body_size: Callable[[], int],
    ) -> bool:
        """One run of the app; True when it lost a race and its answer was held back."""
        retry = _RetryRequest()
        held_back = False

        async def sending(message: Message) -> None:
            nonlocal held_back
            if message["type"] == "http.response.start" and retry.wanted:
                held_back = not last and body_size() <= RETRY_BODY_LIMIT
            if not held_back:
                await send(message)

        attempt_scope = {**scope, _RETRY_SCOPE_KEY: retry}
        try:
            await self.app(attempt_scope, receive, sending)
        finally:
            # The route the attempt matched, for the layers outside (metrics by route).
            if "route" in attempt_scope:
                scope["route"] = attempt_scope["route"]
        return held_back

    @staticmethod
    def _replay(chunks: list[bytes], complete: bool, rest: Receive) -> Receive:
        """The body read so far, then whatever the client has still to send."""
        pending = list(chunks)

        async def replaying() -> Message:
            if pending:
                chunk = pending.pop(0)
                return {
                    "type": "http.request",
                    "body": chunk,
                    "more_body": bool(pending) or not complete,
                }
            return await rest()

        return replaying
