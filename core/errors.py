"""The project's own errors.

Every error carries a stable `error_id` (for logs, the API and the console) and a Chinese
message for people. HTTP status codes are mapped in one table in `console_web`, not here.
"""

from __future__ import annotations

from typing import Any, ClassVar


class HotlineError(Exception):
    """Base of every error the system raises on purpose."""

    error_id: ClassVar[str] = "hotline.error"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def to_dict(self) -> dict[str, Any]:
        return {
            "error_id": self.error_id,
            "message": self.message,
            **{k: str(v) for k, v in self.context.items()},
        }


class ConfigurationError(HotlineError):
    error_id = "config.invalid"


class NotFound(HotlineError):
    error_id = "not_found"


class Conflict(HotlineError):
    error_id = "conflict"


class InvalidInput(HotlineError):
    error_id = "invalid_input"


class PermissionDenied(HotlineError):
    error_id = "permission_denied"


class NotAuthenticated(HotlineError):
    error_id = "not_authenticated"


class PbxUnavailable(HotlineError):
    """The PBX cannot be reached or did not answer in time."""

    error_id = "pbx.unavailable"


class PbxActionFailed(HotlineError):
    """The PBX answered an action with an error."""

    error_id = "pbx.action_failed"


class BackendUnavailable(HotlineError):
    """A backing service (database, Redis) cannot be reached."""

    error_id = "backend.unavailable"


class RateLimited(HotlineError):
    error_id = "rate_limited"


class ServiceOverloaded(HotlineError):
    error_id = "overloaded"
