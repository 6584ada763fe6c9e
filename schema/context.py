"""The context of one GraphQL operation: the viewer, the language, the event bus, and fresh
data loaders."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from contacts.auth import Viewer
from contacts.events import EventBus
from schema.dependencies import Dependencies
from schema.documents import Prepared
from schema.loaders import Loaders


@dataclass
class Context:
    viewer: Viewer | None
    language: str
    bus: EventBus
    request: object = None
    response: object = None
    connection_params: dict | None = None
    request_id: str = "-"  # in the logs, and in a masked error's extensions
    prepared: Prepared | None = None  # the operation's document, when prepared before it ran
    token_hash: str | None = None  # a WebSocket's token, to check its rights again (api/rights.py)
    dependencies: Dependencies | None = None  # noted for the response cache, when it asks


    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.viewer)

    def forget_loaded(self) -> None:
        """After a write, or before a live event: later resolvers load afresh."""
        self.__dict__.pop("loaders", None)
