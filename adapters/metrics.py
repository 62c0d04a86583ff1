"""Prometheus metrics: the process's own instruments and what a scrape reads from the servers.

Counted in the process that does the work: the API's requests (`api/observability.py`), tap
decisions by outcome and reason and terminal batch sizes (`api/terminal_desk.py`), refused
logins (`identity/throttle.py`). What the servers hold is read at scrape time
(`api/scrape.py`).
"""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "infoshkola_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "infoshkola_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
)
TAP_DECISIONS = Counter(
    "infoshkola_tap_decisions",
    "Taps decided for terminals, by outcome and decline reason ('' when approved).",
    ["outcome", "reason"],
)
TAP_BATCH_SIZE = Histogram(
    "infoshkola_tap_batch_size",
    "Taps per batch a terminal uploads (POST /terminal/v1/taps/batch).",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
GROUP_COMMIT_SIZE = Histogram(
    "infoshkola_group_commit_size",
    "Taps saved together in one transaction by the API's group commit (api/tap_batcher.py).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 200),
)
LOGINS_THROTTLED = Counter(
    "infoshkola_login_throttled",
    "Attempts refused by the login throttle, by scope (login, password, reset, reset-code).",
    ["scope"],
)
