"""The access line (``common.logging.AccessLog``) is the line structlog's chain would print
for the same call, through the same handler, in JSON and in the development format."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from common.logging import AccessLog, configure_logging, get_logger


@pytest.fixture
def sink() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    try:
        yield out
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.contextvars.clear_contextvars()


def _lines(sink: io.StringIO, json_logs: bool) -> tuple[str, str]:
    configure_logging(json=json_logs)
    (handler,) = logging.getLogger().handlers
    handler.setStream(sink)  # type: ignore[attr-defined]
    structlog.contextvars.bind_contextvars(request_id="req-1", other="bound")
    fields = {"method": "GET", "path": "/v1/stations/x", "status": 200, "ms": 1.2}
    get_logger("ruralnet.access").info("request", **fields)
    AccessLog("ruralnet.access")("request", **fields)
    first, second = sink.getvalue().splitlines()
    return first, second


def test_the_json_line_is_structlogs(sink: io.StringIO) -> None:
    first, second = _lines(sink, json_logs=True)
    theirs, ours = json.loads(first), json.loads(second)
    assert theirs.pop("timestamp")[:19] == ours.pop("timestamp")[:19]
    assert list(ours.items()) == list(theirs.items())  # same keys, same order


def test_the_development_line_is_structlogs(sink: io.StringIO) -> None:
    first, second = _lines(sink, json_logs=False)
    # The timestamp leads the line; the rest is the same text.
    assert first.split(" ", 1)[1] == second.split(" ", 1)[1]
