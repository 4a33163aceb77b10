"""Connected VK pages (`bot.storage.base.PagesTx`, migration 15) and the appeals that came
through them (migration 16). Tokens and secrets arrive here sealed and leave sealed."""

from __future__ import annotations

from bot.domain.pages import ConnectedPage, PageAppeal
from bot.storage.sql.driver import Facet, Row
from bot.storage.sql.values import columns, to_db_time

_COLUMNS = (
    "group_id, body, name, token_sealed, confirmation, secret_sealed, connected_by,"
    " connected_at, enabled"
)


def _page(row: Row) -> ConnectedPage:
    as_is = ("group_id", "body", "name", "token_sealed", "confirmation", "secret_sealed",
             "connected_by")
    return ConnectedPage(**columns(row, as_is, ("connected_at",)), enabled=bool(row["enabled"]))


class PagesSql(Facet):
    __slots__ = ()

    async def save(self, page: ConnectedPage) -> bool:
        """Connect, or connect again (a new token, another body): ``True`` when it is new."""
        values = (
            page.body, page.name, page.token_sealed, page.confirmation, page.secret_sealed,
            page.connected_by, to_db_time(page.connected_at), int(page.enabled),
        )
        updated = await self.db.run(
            "UPDATE vk_pages SET body = ?, name = ?, token_sealed = ?, confirmation = ?,"
            " secret_sealed = ?, connected_by = ?, connected_at = ?, enabled = ?"
            " WHERE group_id = ?",
            (*values, page.group_id),
        )
        if updated:
            return False
        await self.db.run(
            f"INSERT INTO vk_pages ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (page.group_id, *values),
        )
        return True

    async def page(self, group_id: int) -> ConnectedPage | None:
        sql = f"SELECT {_COLUMNS} FROM vk_pages WHERE group_id = ?"
        return await self._record(_page, sql, (group_id,))

    async def pages(self) -> list[ConnectedPage]:
        return await self._records(_page, f"SELECT {_COLUMNS} FROM vk_pages ORDER BY group_id")

    async def set_enabled(self, group_id: int, enabled: bool) -> bool:
        count = await self.db.run(
            "UPDATE vk_pages SET enabled = ? WHERE group_id = ?", (int(enabled), group_id)
        )
        return count == 1

    async def add_appeal(self, appeal: PageAppeal) -> None:
        await self.db.run(
            "INSERT INTO page_appeals (ticket_id, group_id, page_body, routed_body, at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (appeal.ticket_id, appeal.group_id, appeal.page_body, appeal.routed_body,
             to_db_time(appeal.at)),
        )

    async def appeal_counts(self) -> dict[int, tuple[int, int]]:
        """Per page: (appeals, of them misdirected: the router chose another body)."""
        rows = await self.db.all(
            "SELECT group_id, COUNT(*) AS appeals,"
            " SUM(CASE WHEN routed_body IS NOT NULL AND routed_body <> page_body"
            " THEN 1 ELSE 0 END) AS misdirected"
            " FROM page_appeals GROUP BY group_id ORDER BY group_id"
        )
        return {int(r["group_id"]): (int(r["appeals"]), int(r["misdirected"] or 0)) for r in rows}
