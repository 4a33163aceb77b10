"""`AppealCore`: the core as the adapters, the scheduler and the tests see it — one object.

It only builds the `Desk` and binds each use case to it; the decisions live in the use-case
modules (`dispatch` for incoming messages, `intake`, `staff_actions`, `verdicts`, `deadlines`,
`privacy`, `invites`, `reachability`, `chat_access`, `lost_updates`, `citizen`). The core
decides and records; it never talks to a platform.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MethodType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from bot.core import (
    chat_access,
    comments,
    deadlines,
    dispatch,
    intake,
    interim,
    invites,
    lost_updates,
    privacy,
    reachability,
    safe_actions,
    staff_actions,
    staff_console,
)
from bot.core.desk import Desk

P = ParamSpec("P")
R = TypeVar("R")


class _UseCase(Generic[P, R]):
    """A use case as a method of `AppealCore`: the function, called with the core's desk."""

    def __init__(self, function: Callable[Concatenate[Desk, P], R]) -> None:
        self.function = function
        self.__doc__ = function.__doc__

    @overload
    def __get__(self, core: None, owner: type) -> _UseCase[P, R]: ...
    @overload
    def __get__(self, core: AppealCore, owner: type) -> Callable[P, R]: ...
    def __get__(self, core: AppealCore | None, owner: type) -> Any:
        # Bound to the desk like a method to its instance: named "Desk.scan_deadlines" in the
        # scheduler's log and in tracebacks.
        return self if core is None else MethodType(self.function, core.desk)

    def __call__(self, core: AppealCore, *args: P.args, **kwargs: P.kwargs) -> R:
        """Called on the class, as a plain method would be: ``AppealCore.handle(core, m)``."""
        return self.function(core.desk, *args, **kwargs)


class AppealCore:
    """Arguments: those of `Desk` (repository, table, classifier, calendar, clock, and the
    deployment's policy and collaborators as keywords)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.desk = Desk(*args, **kwargs)

    # What the composition root and the coordinator tools read.
    repo = property(lambda self: self.desk.repo)
    table = property(lambda self: self.desk.table)
    classifier = property(lambda self: self.desk.classifier)
    clock = property(lambda self: self.desk.clock)
    calendar = property(lambda self: self.desk.calendar)
    coordinators = property(lambda self: self.desk.coordinators)
    staff = property(lambda self: self.desk.staff)

    def replace_table(self, table: Any, classifier: Any) -> None:
        self.desk.replace_table(table, classifier)

    def show_due(self, due: Any) -> str:
        return self.desk.show_due(due)

    # Messages: everything an adapter receives goes to `handle`.
    handle = _UseCase(dispatch.handle)
    intake = _UseCase(intake.intake)
    # Comments under posts (VK wall, Telegram discussion groups).
    comment_posted = _UseCase(comments.comment_posted)
    comment_edited = _UseCase(comments.comment_edited)
    comment_deleted = _UseCase(comments.comment_deleted)
    # Staff, by name (tests, the coordinator tools).
    take = _UseCase(staff_actions.take)
    redirect = _UseCase(staff_actions.redirect)
    reject = _UseCase(staff_actions.reject)
    close = _UseCase(staff_actions.close)
    return_to_work = _UseCase(safe_actions.return_to_work)
    extend = _UseCase(interim.extend)
    # Timed work.
    scan_deadlines = _UseCase(deadlines.scan_deadlines)
    anonymise_expired = _UseCase(privacy.anonymise_expired)
    # Privacy and training data.
    export_citizen = _UseCase(privacy.export_citizen)
    forget_citizen = _UseCase(privacy.forget_citizen)
    export_training_examples = _UseCase(privacy.export_training_examples)
    # Administrators.
    load_staff = _UseCase(invites.load_staff)
    invite = _UseCase(invites.invite)
    redeem = _UseCase(invites.redeem)
    # Administrators from the console (a viewer instead of a message).
    console_staff = _UseCase(staff_console.staff_of)
    console_revoke = _UseCase(staff_console.revoke)
    console_invite = _UseCase(staff_console.invite)
    # Delivery reports.
    citizen_unreachable = _UseCase(reachability.citizen_unreachable)
    citizen_reachable = _UseCase(reachability.citizen_reachable)
    delivery_refused = _UseCase(chat_access.delivery_refused)
    access_changed = _UseCase(chat_access.access_changed)
    # An incoming update the inbox gave up on.
    update_set_aside = _UseCase(lost_updates.update_set_aside)
