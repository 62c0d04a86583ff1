"""Deciding a tap without the server: the last deny list, and an offline cap per card and day.

The server stays the judge: every offline tap is uploaded later with `offline: true`, and the
server records it as it was (a meal already eaten is never declined after the fact). Offline,
the reader only refuses what it knows to refuse: a card on the deny list, or a card that has
already spent its offline cap today on this reader. Before the first deny list the cap is 0.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from reader.journal import Journal

CARD_BLOCKED = "card_blocked"
OFFLINE_CAP = "offline_cap"


def tap_amount(tap: dict[str, Any]) -> int:
    return sum(int(i["price"]) * int(i.get("quantity", 1)) for i in tap.get("items") or ())


class OfflinePolicy:
    def __init__(self, journal: Journal, zone: ZoneInfo) -> None:
        self.journal = journal
        self.zone = zone

    def decide(self, tap: dict[str, Any]) -> dict[str, Any]:
        """Decide and, for an approved purchase, count it against the card's offline cap."""
        uid = str(tap["card_uid"])
        deny = self.journal.deny_list()
        amount = tap_amount(tap)
        decision: dict[str, Any] = {
            "tap_id": tap["tap_id"],
            "card_uid": uid,
            "offline": True,
            "amount": amount,
            "deny_list_version": deny.version,
        }
        if uid in deny.uids:
            return {**decision, "outcome": "declined", "reason": CARD_BLOCKED}
        if amount:
            day = datetime.fromisoformat(tap["tapped_at"]).astimezone(self.zone).date()
            spent = self.journal.offline_spent(uid, day.isoformat())
            if spent + amount > deny.offline_cap:
                return {**decision, "outcome": "declined", "reason": OFFLINE_CAP}
            self.journal.add_offline_spend(uid, day.isoformat(), amount)
        return {**decision, "outcome": "approved", "reason": None}
