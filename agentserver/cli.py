"""Small helpers shared by the operators' ``manage.py`` commands: argument parsing and output.

Parsing helpers raise ``CommandError`` with a message naming the bad option, so every command
answers a bad argument the same way (a clear message, exit status 1).
"""
import contextlib
import json
import logging
import re
import shutil
import time
from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone

from agentserver.ids import parse_uuid

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value, *, option="--older-than"):
    """``30m``, ``12h``, ``7d``, ``2w`` (or seconds ``45s``) as a timedelta."""
    match = DURATION.match(value or "")
    if not match:
        raise CommandError(f"{option}: {value!r} is not a duration like 30m, 12h, 7d or 2w")
    return timedelta(**{UNITS[match.group(2)]: float(match.group(1))})


def parse_id(value, *, option):
    """A UUID given on the command line, or CommandError naming the option."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise CommandError(f"{option}: {value!r} is not a valid UUID")
    return parsed


def parse_json(value, *, option, want=None):
    """A JSON argument (``--input '{"x": 1}'``); ``want=dict`` insists on an object."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{option}: not valid JSON ({exc.msg} at position {exc.pos}): {value!r}") from None
    if want is dict and not isinstance(parsed, dict):
        raise CommandError(f"{option}: expected a JSON object, got {type(parsed).__name__}")
    return parsed


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def compact_text(data_text, *, width=None):
    """An event's stored JSON text, compacted and cut to ``width`` characters (None: no limit)."""
    try:
        text = compact(json.loads(data_text))
    except (TypeError, ValueError):
        text = str(data_text)
    if width and len(text) > width:
        text = text[: max(width - 1, 1)] + "…"
    return text


def pretty(value):
    return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=False)


def terminal_width(default=120):
    return shutil.get_terminal_size((default, 24)).columns


def format_event(position, event, data_text, *, width=None):
    """One line per event: ``[seq] event  {compact data}``."""
    return f"[{position}] {event}  {compact_text(data_text, width=width)}"


def fmt_time(value):
    if value is None:
        return "-"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def fmt_duration(started, ended, *, now=None):
    """``1.2s`` / ``3m04s`` / ``2h05m`` between two datetimes (``ended`` None: until now)."""
    if started is None:
        return "-"
    seconds = ((ended or now or timezone.now()) - started).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def table(headers, rows):
    """A plain text table: a header line, a rule, one line per row (cells as strings)."""
    rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def truncate(text, width):
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def to_json(value):
    """Pretty JSON for ``--json`` output (datetimes and UUIDs as strings)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=_default)


def _default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def plain(text):
    """A style for OutputWrapper.write: no colour (Django colours all of stderr red on a terminal)."""
    return text


class Progress:
    """A progress indication on stderr for long runs: elapsed seconds and events so far.

    On a terminal it is one status line rewritten in place (cleared before each event line); when
    stderr is not a terminal it is a plain line every ``every`` seconds."""

    def __init__(self, stream, *, enabled=True, every=10.0):
        self.stream = stream
        self.enabled = enabled
        self.tty = enabled and stream.isatty()
        self.every = every
        self.started = time.monotonic()
        self._last = 0.0
        self._shown = False

    @property
    def elapsed(self):
        return time.monotonic() - self.started

    def clear(self):
        if self._shown:
            self.stream.write("\r\033[K", plain, ending="")
            self.stream.flush()
            self._shown = False

    def tick(self, status, events, *, note=""):
        if not self.enabled:
            return
        elapsed = self.elapsed
        text = f"… {status or 'gone'}, {elapsed:.1f}s, {events} event{'s' if events != 1 else ''}{note}"
        if self.tty:
            if elapsed - self._last >= 0.2:
                self.stream.write("\r\033[K" + text, plain, ending="")
                self.stream.flush()
                self._last, self._shown = elapsed, True
        elif elapsed - self._last >= self.every:
            self.stream.write(text, plain)
            self._last = elapsed


# agentserver's own loggers (``-v 2`` shows their debug messages).
APP_LOGGERS = ("agentserver", "assistants", "threads", "runs", "streaming", "console")


@contextlib.contextmanager
def verbosity_logging(verbosity):
    """``manage.py <command> -v N`` on the loggers, for the command's duration: 0 errors only, 1 the
    configured ``LOG_LEVEL`` (default INFO), 2 agentserver's own loggers at DEBUG, 3 every logger at
    DEBUG."""
    names = ("", *APP_LOGGERS)
    saved = {name: logging.getLogger(name).level for name in names}
    if verbosity <= 0:
        logging.getLogger().setLevel(logging.ERROR)
        for name in APP_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
    else:
        if verbosity >= 2:
            for name in APP_LOGGERS:
                logging.getLogger(name).setLevel(logging.DEBUG)
        if verbosity >= 3:
            logging.getLogger().setLevel(logging.DEBUG)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
