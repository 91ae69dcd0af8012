"""Failed sign-ins, counted per client address, so that guessing tokens or passwords is refused early.

Both faces count their failures here (the API's bad tokens, the dashboard's bad passwords): after
``limit`` failures from one address within ``window`` seconds, that address is told to wait until
the oldest of them leaves the window. Successful sign-ins are never counted or slowed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: Failures one address may have within the window before it must wait (the default of the setting
#: ``PHYLODASH_SIGN_IN_FAILURES``).
FAILURES_ALLOWED = 10
#: The window, in seconds.
WINDOW_SECONDS = 60.0
#: Addresses remembered at most (the oldest are forgotten first), so a flood cannot fill the memory.
ADDRESSES_KEPT = 100_000


class SignInThrottle:
    """Counts failed sign-ins per address over a sliding window.

    Parameters
    ----------
    limit : int, default FAILURES_ALLOWED
        Failures allowed within ``window`` seconds.
    window : float, default WINDOW_SECONDS
        The sliding window.
    clock : callable, default time.monotonic
        Seconds, for tests.

    Examples
    --------
    >>> now = [0.0]
    >>> throttle = SignInThrottle(limit=2, window=60.0, clock=lambda: now[0])
    >>> throttle.failed("10.0.0.1"); throttle.failed("10.0.0.1"); throttle.retry_after("10.0.0.1")
    60.0
    >>> now[0] = 30.0; throttle.retry_after("10.0.0.1"), throttle.retry_after("10.0.0.2")
    (30.0, 0.0)
    """

    def __init__(self, limit: int = FAILURES_ALLOWED, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> float:
        """Seconds ``address`` must wait before it may try again; 0.0 when it may try now."""
        with self._lock:
            failures = self._recent(address)
            if len(failures) < self.limit:
                return 0.0
            return max(0.0, failures[-self.limit] + self.window - self._clock())

    def failed(self, address: str) -> None:
        """Count a failed sign-in from ``address``."""
        with self._lock:
            failures = self._recent(address)
            failures.append(self._clock())
            self._failures[address] = failures
            if len(self._failures) > ADDRESSES_KEPT:
                del self._failures[next(iter(self._failures))]

    def _recent(self, address: str) -> deque[float]:
        """The failures of ``address`` still inside the window (older ones dropped)."""
        failures = self._failures.pop(address, deque())  # re-inserted by failed(): newest last
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if failures:
            self._failures[address] = failures
        return failures
