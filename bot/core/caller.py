"""Who asked, from where: the one description of a person every surface builds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.render.text import clean

__all__ = ["Caller", "Profile", "Surface"]

Surface = Literal[
    "slash",
    "mention",
    "dm",
    "thread",
    "button",
    "modal",
    "shortcut",
    "home",
    "options",
    "unfurl",
    "workflow",
    "console",
]


@dataclass(frozen=True)
class Profile:
    """What a front end knows of the person beyond the name: the contact on new tickets."""

    real_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Caller:
    """Who asked, from where. Every write names this person (SPEC §5).

    ``channel_id`` is always taken from the signed request (or the console), never from a
    button value or modal metadata a client could forge; it decides the Bruin customer.
    """

    user_id: str
    display_name: str
    channel_id: str = ""
    surface: Surface = "slash"
    profile: Profile | None = None

    def audit_line(self) -> str:
        via = "the chatops-bot console" if self.surface == "console" else "Slack"
        name = " ".join(clean(self.display_name).split()) or self.user_id
        return f"— via {via} by {name} ({self.user_id})"

    def signed(self, text: str) -> str:
        """``text`` followed by the audit line, as stored at the backend."""
        return f"{text.rstrip()}\n{self.audit_line()}"

    @property
    def identified(self) -> bool:
        """True once the display name and profile are known (looked up for writes)."""
        return self.surface == "console" or (
            self.display_name != self.user_id and self.profile is not None
        )
