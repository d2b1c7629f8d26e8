"""The rule book: who may do what. One typed Actor, the named role groups, one `allowed_actions(actor, thing)`.

Services, back-office pages and their buttons, the JSON API and the chat commands all ask this package; nothing
else decides a permission. See docs/backoffice.md (“Who may do what”).
"""

from workflows.access.actor import SYSTEM, Actor, ActorKind
from workflows.access.rules import Forbidden, allowed_actions, may, require

__all__ = ["SYSTEM", "Actor", "ActorKind", "Forbidden", "allowed_actions", "may", "require"]
