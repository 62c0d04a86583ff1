"""Reading card UIDs over PC/SC, surviving pcscd restarts and readers coming and going.

We use pyscard's thin `smartcard.scard` layer and our own loop instead of its `CardMonitor`:
the monitor thread dies silently on the first exception, and a pcscd restart leaves the
global context broken (pyscard#27, #82, #128). Here every pass lists the readers again and
waits on `SCardGetStatusChange` with a short timeout; any error other than a timeout drops the
context and establishes a new one after a backoff. `heartbeat` moves on every pass, so a
watchdog can tell a loop that is stuck inside the PC/SC library (see `Watchdog`).

A tap is a card that appears on a reader: its UID is read with the PC/SC part 3 GET DATA
pseudo-APDU `FF CA 00 00 00`. A card still on the reader when the context is re-established
is not a new tap when its UID is the one last seen there.
"""

import logging
import os
import threading
import time
from collections.abc import Callable

from smartcard import scard

log = logging.getLogger(__name__)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
SW_OK = (0x90, 0x00)
TIMEOUT = scard.SCARD_E_TIMEOUT
NO_READERS = scard.SCARD_E_NO_READERS_AVAILABLE


class PcscError(Exception):
    def __init__(self, call: str, code: int) -> None:
        super().__init__(f"{call}: {scard.SCardGetErrorMessage(code)} ({code & 0xFFFFFFFF:#x})")
        self.code = code


def _check(call: str, code: int) -> None:
    if code != scard.SCARD_S_SUCCESS:
        raise PcscError(call, code)


def read_uid(context: int, reader: str) -> str | None:
    """The UID of the card on `reader` as upper-case hex, or None if it cannot be read."""
    code, card, protocol = scard.SCardConnect(
        context, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
    )
    if code != scard.SCARD_S_SUCCESS:
        log.info("no card to read on %s: %s", reader, scard.SCardGetErrorMessage(code))
        return None
    try:
        code, response = scard.SCardTransmit(card, protocol, GET_UID)
        if code != scard.SCARD_S_SUCCESS or len(response) < 2:
            log.info("UID not read on %s: %s", reader, scard.SCardGetErrorMessage(code))
            return None
        if tuple(response[-2:]) != SW_OK or len(response) == 2:
            log.info("card on %s refused GET UID: SW %02X %02X", reader, *response[-2:])
            return None
        return bytes(response[:-2]).hex().upper()
    finally:
        scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)


class CardWatcher:
    """Calls `on_uid(reader, uid)` for every card that appears on any reader."""

    def __init__(
        self,
        on_uid: Callable[[str, str], object],
        poll_ms: int = 250,
        max_backoff: float = 5.0,
    ) -> None:
        self.on_uid = on_uid
        self.poll_ms = poll_ms
        self.max_backoff = max_backoff
        self.heartbeat = time.monotonic()
        self.sessions = 0  # contexts established so far: > 1 means it recovered at least once
        self.readers: list[str] = []
        self._on_reader: dict[str, str | None] = {}  # reader -> UID of the card on it
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            self.heartbeat = time.monotonic()
            try:
                self._session()
                backoff = 0.1
            except Exception as error:  # PcscError, or anything the binding raises
                log.warning("PC/SC context lost (%s); reconnecting in %.1fs", error, backoff)
                self.readers = []
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    def _session(self) -> None:
        code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        _check("SCardEstablishContext", code)
        self.sessions += 1
        log.info("PC/SC context established")
        try:
            states: dict[str, int] = {}
            while not self._stop.is_set():
                self.heartbeat = time.monotonic()
                readers = self._list_readers(context)
                if not readers:
                    self._stop.wait(self.poll_ms / 1000)
                    continue
                known = [(r, states.get(r, scard.SCARD_STATE_UNAWARE)) for r in readers]
                code, changed = scard.SCardGetStatusChange(context, self.poll_ms, known)
                if code == TIMEOUT:
                    continue
                _check("SCardGetStatusChange", code)
                for reader, event_state, _atr in changed:
                    if event_state & scard.SCARD_STATE_CHANGED:
                        states[reader] = event_state & ~scard.SCARD_STATE_CHANGED
                        present = bool(event_state & scard.SCARD_STATE_PRESENT)
                        self._seen(context, reader, present)
        finally:
            scard.SCardReleaseContext(context)

    def _list_readers(self, context: int) -> list[str]:
        code, readers = scard.SCardListReaders(context, [])
        if code == NO_READERS:
            readers = []
        else:
            _check("SCardListReaders", code)
        if readers != self.readers:
            log.info("readers: %s", readers)
            for gone in set(self._on_reader) - set(readers):
                self._on_reader.pop(gone)  # unplugged: the next card there is a new tap
        self.readers = list(readers)
        return self.readers

    def _seen(self, context: int, reader: str, present: bool) -> None:
        if not present:
            self._on_reader[reader] = None
            return
        uid = read_uid(context, reader)
        if uid is None or self._on_reader.get(reader) == uid:
            return
        self._on_reader[reader] = uid
        try:
            self.on_uid(reader, uid)
        except Exception:  # a failing handler must not stop the reader
            log.exception("handling card %s on %s failed", uid, reader)


class Watchdog:
    """Ends the process when `heartbeat()` has not moved for `limit` seconds.

    The PC/SC library can block inside a call when pcscd dies at the wrong moment; the only
    safe recovery is a fresh process, which the supervisor (`infoshkola up`, systemd) starts.
    """

    def __init__(self, heartbeat: Callable[[], float], limit: float = 60.0) -> None:
        self.heartbeat = heartbeat
        self.limit = limit
        self._stop = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="watchdog", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.limit / 4):
            if time.monotonic() - self.heartbeat() > self.limit:
                log.critical("card loop stuck for over %.0fs; exiting to be restarted", self.limit)
                os._exit(75)
