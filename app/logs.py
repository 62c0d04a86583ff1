"""Logs of every long-running process: structlog, one JSON object a line (`LOG_FORMAT=json`,
the default) or readable lines (`console`), at `LOG_LEVEL`.

The standard library's loggers (ours, uvicorn's, dramatiq's) go through the same renderer, so
every line carries `timestamp`, `level`, `logger` and whatever is bound in the context, such
as the API's `request_id` (`bind_request_id`).

`info_line` writes an INFO line of ours (the API's one line per request) straight to that
handler, the same JSON as `logger.info` would, without the standard library's record and
the formatter's chain (about a fifth of the cost; `docs/BENCHMARKS.md`).
"""

import json
import logging
import sys
from contextlib import nullcontext
from typing import Any

import orjson
import structlog

from app.settings import Settings

STAMP = structlog.processors.TimeStamper(fmt="iso", utc=True)
SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    STAMP,
]
# The handler and renderer of JSON lines, when `configure_logging` set them up (`info_line`).
_json_lines: tuple[logging.StreamHandler[Any], Any] | None = None


def dumps(obj: Any, default: Any = None, **_: Any) -> str:
    """A line's JSON by orjson (UTF-8 as it is, compact); what orjson refuses (an integer
    past 64 bits) by the standard library's."""
    try:
        return orjson.dumps(obj, default=default, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(obj, default=default, ensure_ascii=False)


def configure_logging(settings: Settings | None = None, stream: Any = None) -> None:
    """Route every logger of this process through structlog (call once, at start-up)."""
    settings = settings or Settings.from_env()
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=dumps)
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*SHARED, structlog.stdlib.ExtraAdder()],  # `extra=` fields too
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    global _json_lines
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    _json_lines = (handler, renderer) if settings.log_format == "json" else None
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def bind_request_id(request_id: str) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)


def info_line(logger: logging.Logger, message: str, **fields: Any) -> None:
    """`logger.info(message, extra=fields)`: the same line (the fields, the context bound,
    level, logger, timestamp), written directly to the JSON handler when it is the only one
    the line would reach; through `logging` otherwise (console lines, another handler)."""
    direct = _json_lines
    if direct is None or not logger.isEnabledFor(logging.INFO) or not _only(logger, direct[0]):
        logger.info("%s", message, extra=fields)
        return
    handler, render = direct
    event = {"event": message, **fields}
    for key, value in structlog.contextvars.get_contextvars().items():
        event.setdefault(key, value)
    event.update(level="info", logger=logger.name)
    line = render(None, "info", STAMP(None, "info", event)) + handler.terminator
    with handler.lock or nullcontext():
        handler.stream.write(line)
        handler.flush()


def _only(logger: logging.Logger, handler: logging.Handler) -> bool:
    """Whether `handler`, the root's only one, is the only handler `logger`'s lines reach."""
    root = logging.root
    if root.handlers != [handler] or handler.level > logging.INFO or handler.filters:
        return False
    if logger.disabled:
        return False
    step: logging.Logger | None = logger
    while step is not None and step is not root:
        if step.handlers or step.filters or not step.propagate:
            return False
        step = step.parent
    return True
