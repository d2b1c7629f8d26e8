"""Owner intake of complaints (投诉 from the bot): the one call that files one, with plain values in and a small
receipt out, so the bot never holds an ORM row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from workflows.community.service import get_household
from workflows.complaints import service as complaints


@dataclass(frozen=True)
class ComplaintReceipt:
    number: str  # TS-20261125-0003
    status_label: str


async def file_complaint(session: AsyncSession, *, community_id: int, openid: str, category: str, description: str,
                         household_id: int | None, resident_id: int | None, photos: list[str], anonymous: bool,
                         about: str, submission_key: str) -> ComplaintReceipt:
    """File the complaint (the named staff member, if found in the community, becomes its subject); the same
    submission_key gives the same complaint."""
    subject = await complaints.find_staff_by_name(session, community_id=community_id, name=about) if about else None
    household = await get_household(session, household_id=household_id) if household_id else None
    complaint = await complaints.open_complaint(
        session, community_id=community_id, openid=openid, category=category, description=description,
        household_id=household_id, resident_id=resident_id,
        building_id=household.building_id if household else None, photos=photos, anonymous=anonymous,
        about_staff_id=subject.id if subject else None, about_staff_text=about, submission_key=submission_key)
    return ComplaintReceipt(number=complaint.number, status_label=complaint.status_label)
