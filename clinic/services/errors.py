"""Errors a use case raises; each edge turns them into its own answer (a problem document, a flash)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from clinic.domain.visits import SessionInputError, TransitionRefused


class ServiceError(Exception):
    """A request the service refuses, with the HTTP status that describes it."""

    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        conflicts: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.conflicts = conflicts


class NotAuthenticated(ServiceError):
    status = 401
    title = "Not signed in"


class TooManyAttempts(ServiceError):
    """Refused before any check: too many attempts in a while; `retry_after` says how many seconds to wait."""

    status = 429
    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PermissionDenied(ServiceError):
    status = 403
    title = "Not allowed"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class Invalid(ServiceError):
    """Well-formed input that breaks a rule; `errors` maps each bad field to its messages."""

    status = 422
    title = "Invalid input"

    @classmethod
    def field(cls, name: str, message: str) -> "Invalid":
        return cls(f"{name}: {message}", errors={name: [message]})


@contextmanager
def domain_refusals() -> Iterator[None]:
    """Turn a refusal of a domain rule into the service error the edges answer: a transition refused is a
    409 listing every broken rule, input that breaks a session rule a 422 naming the field."""
    try:
        yield
    except TransitionRefused as refused:
        conflicts = [{"code": b.code, "message": b.message} for b in refused.broken] or None
        raise Conflict(refused.message, conflicts=conflicts) from None
    except SessionInputError as error:
        raise Invalid.field(error.field, error.message) from None
