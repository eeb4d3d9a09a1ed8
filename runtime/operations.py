"""An operation of a contract, as its generated table states it."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from runtime.parameters import Parameter


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of a contract, as its generated table states it."""

    operation_id: str
    summary: str
    handler: str
    """The name of its method in the Handlers protocol."""
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    parameters_model: type[BaseModel] | None
    """The one model that validates every parameter at once."""
    body: type[BaseModel] | None
    body_media_type: str | None
    """The body's media type, a JSON one: `application/json`, or
    `application/merge-patch+json` for a JSON Merge Patch."""
    success: int
    success_media_type: str | None
    """The success response's media type: `application/json`, or another
    for a body that is not JSON."""
    responses: Mapping[int, type[BaseModel] | None]
    """Each status the contract documents, and the model of its JSON body
    (None for no body, or one that is not JSON)."""
    security: list[dict[str, list[str]]]
    subject: str | None
    """The path parameter the caller's token subject must equal, the one the
    contract marks `x-token-subject`; None where no parameter names the
    caller."""
    events: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    """For a stream of Server-Sent Events (`text/event-stream`): each event
    by name, and the model of its data (the `contentSchema` of its data, in
    the schema of one event)."""

    @property
    def statuses(self) -> tuple[int, ...]:
        return tuple(self.responses)

    @property
    def public(self) -> bool:
        """Whether the contract secures it with nothing (`security: []`)."""
        return self.security == []
