"""Plan events to WebSocket clients: LISTEN on EVENTS_CHANNEL, parse, fan out to bounded queues.

Every server process LISTENs on the events channel, so a client connected to any of them gets
the events of builds and adjustments made by all of them. Each notification is parsed into a
typed event (a discriminated union on `type`) and offered to the queue of every client watching
that project. Queues are bounded: when a slow client's queue is full its oldest event is dropped
to make room (the newest events carry the latest plan version), so publishing never waits and
one slow client cannot stall the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import TypeAdapter, ValidationError

from api.http.schemas import PlanEvent
from planner.storage.listening import DEFAULT_BACKOFF, Backoff, ChannelListener
from planner.usecases.automation import EVENTS_CHANNEL

log = logging.getLogger(__name__)

_EVENTS: TypeAdapter[PlanEvent] = TypeAdapter(PlanEvent)


def parse_event(payload: str) -> PlanEvent | None:
    """The typed event of a notification payload, or None (logged) when it is not one."""
    try:
        return _EVENTS.validate_json(payload)
    except ValidationError as error:
        log.warning("ignored a malformed %s notification: %s", EVENTS_CHANNEL, error.errors()[0]["msg"])
        return None


class Subscription:
    """One client's bounded queue of events of one project (or of every project when None)."""

    def __init__(self, project_id: str | None, size: int) -> None:
        self.project_id = project_id
        self.queue: asyncio.Queue[PlanEvent] = asyncio.Queue(maxsize=size)
        self.dropped = 0  # events dropped because the client did not keep up

    def offer(self, event: PlanEvent) -> None:
        """Queue `event` without waiting; a full queue loses its oldest event instead."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)

    async def next(self) -> PlanEvent:
        return await self.queue.get()


class EventBroadcaster:
    """Fans the plan events of the database out to the subscriptions of this process."""

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = 100,
        health_interval: float = 5.0,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.queue_size = queue_size
        self._subscriptions: dict[str | None, set[Subscription]] = {}
        self.listener = ChannelListener(
            url, EVENTS_CHANNEL, self._on_notification, health_interval=health_interval, backoff=backoff
        )

    @property
    def backend_pid(self) -> int | None:
        return self.listener.backend_pid

    async def run(self) -> None:
        """Listen until cancelled."""
        await self.listener.run()

    @contextmanager
    def subscribe(self, project_id: str | None) -> Iterator[Subscription]:
        """A subscription to the events of `project_id` (None: all), for the length of the block."""
        subscription = Subscription(project_id, self.queue_size)
        self._subscriptions.setdefault(project_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            members = self._subscriptions.get(project_id, set())
            members.discard(subscription)
            if not members:
                self._subscriptions.pop(project_id, None)

    def subscriber_count(self, project_id: str | None) -> int:
        return len(self._subscriptions.get(project_id, ()))

    def publish(self, event: PlanEvent) -> None:
        """Hand `event` to every subscription watching its project."""
        for key in (event.project_id, None):
            for subscription in self._subscriptions.get(key, ()):
                subscription.offer(event)

    def _on_notification(self, payload: str) -> None:
        event = parse_event(payload)
        if event is not None:
            self.publish(event)
