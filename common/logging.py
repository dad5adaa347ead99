"""Structured logs: JSON outside development, readable lines in development.

The request id is bound per request in ``structlog.contextvars`` by the request-context
middleware, so every line logged while serving a request carries it. Never log personal
data (ID numbers, phones, names): log ids and codes instead.

An exception is logged as its stack and the types of its chain, never its message, whoever
logs it (our handlers, uvicorn, asyncio, SQLAlchemy's pool): a message may quote the data
that failed — a database error's DETAIL lists the offending row, a validation error its
input — and a development traceback would print the frames' local variables. The stack
says where; the SQLSTATE and constraint name say what (ADR 0010).
"""

import logging
import sys
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import structlog

# Names, not values: what PostgreSQL errors (asyncpg) say about where they happened.
_DB_FACTS = ("sqlstate", "constraint_name", "table_name", "column_name")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """An exception and its causes, the first cause first (as Python prints them)."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in found):
        found.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return reversed(found)


def _facts_of(exc: BaseException) -> dict[str, str]:
    facts = {}
    for name in _DB_FACTS:
        value = getattr(exc, name, None)
        if isinstance(value, str) and value:
            facts[name.removesuffix("_name")] = value
    return facts


def error_facts(exc: BaseException) -> dict[str, str]:
    """The SQLSTATE, constraint, table and column a database error names, if any."""
    facts: dict[str, str] = {}
    for each in _chain(exc):
        facts = {**_facts_of(each), **facts}
    return facts


def safe_traceback(exc: BaseException) -> str:
    """Like a Python traceback, with each exception's type (and database facts) in place of
    its message."""
    lines: list[str] = []
    for each in _chain(exc):
        if lines:
            lines.append("\nThe above exception led to the following one:\n\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.StackSummary.extract(traceback.walk_tb(each.__traceback__)).format())
        facts = ", ".join(f"{k}={v}" for k, v in _facts_of(each).items())
        name = f"{type(each).__module__}.{type(each).__qualname__}"
        lines.append(f"{name} (message withheld{'; ' + facts if facts else ''})\n")
    return "".join(lines)


def _exception(exc_info: Any) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple):
        return exc_info[1]
    if exc_info is True:
        return sys.exc_info()[1]
    return None


def _withhold_exception_messages(
    _logger: object, _method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    exc = _exception(event.pop("exc_info", None))
    if exc is not None:
        event["exception"] = safe_traceback(exc)
    return event


def configure_logging(*, json: bool, level: int = logging.INFO) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _withhold_exception_messages,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    # What no line of ours shows, never computed: the caller's file and line (a walk up the
    # stack for every line), the thread's and process's names (the logging HOWTO's
    # "Optimization"). A tenth of an access line's cost.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Our middleware logs each request once, with its request id; uvicorn's own access
    # line would log it again without one (and with the query string).
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # httpx logs every request it sends at INFO: the gateway would log each forwarded request
    # twice, the second time with its query string.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


class AccessLog:
    """The access line, one per request: the event dict structlog's chain would build
    (the fields, ``event``, the bound context, ``level``, ``logger``, ``timestamp``, in that
    order) handed to the standard library's logger as ``wrap_for_formatter`` hands it — so
    the same record reaches the same handlers and prints the same line — without running the
    chain for every request: on the gateway the chain was ~8 % of a forwarded request's CPU
    (``bench/README.md``). An access line carries no exception, so the chain's exception
    processor has nothing to do for it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger = logging.getLogger(name)
        self._extra = {"_logger": self._logger, "_name": "info"}

    def __call__(self, event: str, **fields: Any) -> None:
        if not self._logger.isEnabledFor(logging.INFO):
            return
        line = {**fields, "event": event}
        for key, value in structlog.contextvars.get_contextvars().items():
            line.setdefault(key, value)
        line["level"] = "info"
        line["logger"] = self.name
        # TimeStamper(fmt="iso", utc=True)'s format.
        line["timestamp"] = datetime.now(tz=UTC).isoformat().replace("+00:00", "Z")
        self._logger.info(line, extra=self._extra)
