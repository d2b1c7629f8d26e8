"""收费 (finance): one section, its pages in fees.py, runs.py, bills.py, payments.py, reconciliation.py,
bank_debits.py, reminders.py (催缴) and points.py (积分)."""

from fastapi import APIRouter

from backoffice.finance import bank_debits, bills, fees, payments, points, reconciliation, reminders, runs
from backoffice.rendering import NavLink, Section

router = APIRouter()
for module in (bills, runs, fees, payments, reconciliation, bank_debits, reminders, points):
    router.include_router(module.router)

section = Section(name="finance", router=router,
                  nav=[NavLink("收费", "/admin/finance/bills", section="finance", order=35)])
