"""Per-user preferences (quiet hours) and the user's own settings (name, timezone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stores import reminders
from stores.clock import Clock
from stores.models import User, UserPreference
from stores.settings import Settings


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @property
    def off(self) -> bool:
        return self.start == self.end

    def text(self) -> str:
        return "off" if self.off else f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local: datetime) -> bool:
        if self.off:
            return False
        moment = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # across midnight: 22:00-07:00

    def end_after(self, local: datetime) -> datetime:
        """The first moment at or after `local` (aware) when quiet hours are over."""
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


def _parse(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


async def quiet_hours(session: AsyncSession, *, user_id: int, settings: Settings) -> QuietHours:
    row = await session.get(UserPreference, user_id)
    if row is None:
        return QuietHours(_parse(settings.quiet_hours_start), _parse(settings.quiet_hours_end))
    return QuietHours(_parse(row.quiet_start), _parse(row.quiet_end))


async def set_quiet_hours(
    session: AsyncSession, *, user_id: int, start: time, end: time, clock: Clock
) -> None:
    row = await session.get(UserPreference, user_id)
    if row is None:
        row = UserPreference(user_id=user_id, quiet_start="", quiet_end="", updated_at=clock.now())
        session.add(row)
    row.quiet_start, row.quiet_end = f"{start:%H:%M}", f"{end:%H:%M}"
    row.updated_at = clock.now()
    await session.flush()
    # What the old hours held is decided again under the new ones (turned off: it goes now).
    await reminders.release_held(session, user_id=user_id, now=clock.now())


async def set_timezone(session: AsyncSession, *, user: User, timezone: str, clock: Clock) -> None:
    ZoneInfo(timezone)  # raises for an unknown zone
    user.timezone, user.updated_at = timezone, clock.now()
    await session.flush()


async def set_name(session: AsyncSession, *, user: User, name: str, clock: Clock) -> None:
    user.name, user.updated_at = name, clock.now()
    await session.flush()


async def quiet_hours_for(
    session: AsyncSession, *, user_ids: list[int], settings: Settings
) -> dict[int, QuietHours]:
    """Quiet hours of many users in one query (the scheduler's batches)."""
    default = QuietHours(_parse(settings.quiet_hours_start), _parse(settings.quiet_hours_end))
    found = {user_id: default for user_id in user_ids}
    query = select(UserPreference).where(UserPreference.user_id.in_(user_ids))
    for row in (await session.execute(query)).scalars():
        found[row.user_id] = QuietHours(_parse(row.quiet_start), _parse(row.quiet_end))
    return found
