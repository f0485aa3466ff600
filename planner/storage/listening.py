"""Hearing the database's notifications: one connection that LISTENs on a channel, checked
periodically, reconnected with backoff when it drops; a handler bug or a lost connection never
stops it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Waits between reconnection attempts: `initial`, doubled after each failure, at most `maximum`."""

    initial: float = 0.2
    maximum: float = 10.0


DEFAULT_BACKOFF = Backoff()


class ChannelListener:
    """One dedicated autocommit connection LISTENing on `channel`; reconnects when it drops.

    `handle` gets each notification's payload and must not block (schedule work instead);
    `on_connect` runs after every successful (re)connect, e.g. to catch up on missed work.
    """

    def __init__(
        self,
        url: str,
        channel: str,
        handle: Callable[[str], None],
        *,
        on_connect: Callable[[], Awaitable[object]] | None = None,
        health_interval: float = 5.0,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.url = url
        self.channel = channel
        self.handle = handle
        self.on_connect = on_connect
        self.health_interval = health_interval
        self.backoff = backoff
        self.backend_pid: int | None = None  # the server process of the current connection
        self.connects = 0  # successful connections so far
        self.listening = asyncio.Event()

    async def run(self) -> None:
        """Listen until cancelled, reconnecting with backoff after any connection failure."""
        delay = self.backoff.initial
        while True:
            connects_before = self.connects
            try:
                await self._listen_once()
            except (psycopg.Error, OSError) as error:
                reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
                log.warning("LISTEN %s: connection lost (%s)", self.channel, reason)
            except Exception:  # a bug: say so, and keep the service listening
                log.exception("LISTEN %s: unexpected failure", self.channel)
            finally:
                self.listening.clear()
                self.backend_pid = None
            if self.connects > connects_before:
                delay = self.backoff.initial  # it had worked: start the backoff again
            log.info("LISTEN %s: reconnecting in %.1fs", self.channel, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff.maximum)

    async def _listen_once(self) -> None:
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            # the channel is one of execplan's own names, never user text
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.backend_pid = conn.info.backend_pid
            self.connects += 1
            self.listening.set()
            log.info("LISTEN %s on backend %s", self.channel, self.backend_pid)
            if self.on_connect is not None:
                await self.on_connect()
            while True:
                async for notification in conn.notifies(timeout=self.health_interval):
                    try:
                        self.handle(notification.payload)
                    except Exception:  # a handler bug must not take the listener down
                        log.exception("LISTEN %s: handling a notification failed", self.channel)
                await conn.execute("SELECT 1")  # the periodic check that the connection still works
