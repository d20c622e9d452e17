"""Who is acting, and from where: every use case takes one, and the audit trail records it."""

from dataclasses import dataclass

from clinic.models.user import User


@dataclass(frozen=True)
class Actor:
    user: User | None
    remote_addr: str = ""
    label: str = ""
    # Code the clinic runs itself (the CLI, the scheduler, seeding), not a request on someone's behalf:
    # the access policy does not limit it. Never set for anything a request can reach.
    trusted: bool = False

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        return self.user.email if self.user is not None else "anonymous"

    @property
    def role(self) -> str | None:
        return self.user.role if self.user is not None else None


SYSTEM = Actor(user=None, label="system", trusted=True)
