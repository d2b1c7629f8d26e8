"""What every finance page shares: who may see them and the staff member's community ids."""

from __future__ import annotations

from backoffice.deps import section_access
from backoffice.security import is_admin
from workflows.staff.models import StaffUser

may_finance = section_access("finance")  # 财务、项目经理, admins: workflows.access SECTIONS


def community_ids(staff: StaffUser) -> set[int] | None:
    """None for admins (every community), else the staff member's communities."""
    return None if is_admin(staff) else set(staff.community_ids or {-1})
