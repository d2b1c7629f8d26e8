"""收费 (finance): one section, its pages in fees.py, runs.py, bills.py and payments.py."""

from fastapi import APIRouter

from backoffice.finance import bills, fees, payments, runs
from backoffice.finance.common import ROLES
from backoffice.rendering import NavLink, Section

router = APIRouter()
for module in (bills, runs, fees, payments):
    router.include_router(module.router)

section = Section(name="finance", router=router,
                  nav=[NavLink("收费", "/admin/finance/bills", roles=ROLES, order=35)])
