"""Who looks at a console page, and what they may see there.

A page knows a signed-in account (a channel and a user id, from the session); what that account
may do follows from the staff directory in force, never from anything stored with the session:
a coordinator removed from ``COORDINATORS`` or an administrator whose binding was revoked loses
the rights at once, on the next page they open. Coordinators see every body; a body's
administrators (bound by an invite) see only their bodies.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.staff import StaffDirectory


@dataclass(frozen=True)
class Viewer:
    channel: str
    user_id: int

    def is_coordinator(self, staff: StaffDirectory) -> bool:
        return staff.is_coordinator(self.channel, self.user_id)

    def bodies(self, staff: StaffDirectory) -> frozenset[str]:
        """The bodies this account administers (bindings made by its invites)."""
        return staff.user_bodies.get((self.channel, self.user_id), frozenset())

    def may_see_body(self, staff: StaffDirectory, body_id: str) -> bool:
        return self.is_coordinator(staff) or body_id in self.bodies(staff)

    @property
    def ref(self) -> str:
        """As the table's versions and the audit log name a person: ``tg:123``."""
        return f"{self.channel}:{self.user_id}"


class NotAllowed(PermissionError):
    """The viewer may not do this; ``str(error)`` is the Russian reason (a page answers 403)."""
