"""The named role groups, defined once. Roles are workflows.staff.models.Role values (a StrEnum, so a group
also matches the plain strings "manager", "front_desk", ...), plus the pseudo-roles of the owner and the timers.

Admins (管理员) belong to every staff group: they work for every community.
"""

from __future__ import annotations

from workflows.staff.models import Role

OWNER = "owner"  # 业主 in chat
SYSTEM = "system"  # timers, dispatch, the bot acting on its own

ADMINS = frozenset({Role.ADMIN})
LEADS = ADMINS | {Role.MANAGER}  # 项目经理 and above: audit log, staff accounts, escalated complaints
DESK = LEADS | {Role.FRONT_DESK}  # 客服台: inbox, residents, bindings, announcements, activities, FAQ, complaints
FIELD = LEADS | {Role.TECHNICIAN}  # field steps of a work order (a manager may act for a technician)
REPAIR_STAFF = DESK | {Role.TECHNICIAN}  # who sees work orders
DASHBOARD = DESK | {Role.FINANCE}  # 数据分析
FINANCE_STAFF = LEADS | {Role.FINANCE}  # 财务 pages: bills, fee items, payments, bill runs
GUARDS = LEADS | {Role.SECURITY}  # 保安 and leads: respond to alarms, open a gate remotely (开闸)
GATEHOUSE = DESK | {Role.SECURITY}  # 门岗与客服: visitors, alarms
DEVICE_VIEWERS = GATEHOUSE | {Role.TECHNICIAN}  # the device list and its states
GATE_STAFF = LEADS | {Role.SECURITY}  # 门岗: gates, walk-in visitors in chat, alarms
EVERY_STAFF = frozenset(Role)
FRONT_LINE = frozenset({Role.FRONT_DESK, Role.TECHNICIAN, Role.SECURITY, Role.FINANCE})  # what a manager manages
NOTIFIED_OF_ESCALATIONS = frozenset({Role.FRONT_DESK, Role.MANAGER})  # told in WeChat of new 转人工 / 绑定申请
