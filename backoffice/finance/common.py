"""What every finance page shares: who may see them and the staff member's community ids."""

from __future__ import annotations

from backoffice.security import is_admin, require_roles
from workflows.staff.models import Role, StaffUser

ROLES = (Role.FINANCE, Role.MANAGER)  # 财务、项目经理 (admins always)
may_finance = require_roles(*ROLES)


def community_ids(staff: StaffUser) -> set[int] | None:
    """None for admins (every community), else the staff member's communities."""
    return None if is_admin(staff) else set(staff.community_ids or {-1})
