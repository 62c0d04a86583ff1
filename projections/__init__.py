"""Read models: tables kept by projections of the ledger's events (see docs/projections.md)."""

from projections.attendance import Attendance
from projections.audit_trail import AuditTrail
from projections.balances import Balances
from projections.base import Projection
from projections.cards import Cards
from projections.casework import Casework
from projections.charges import Charges
from projections.menu_feedback import MenuFeedbackReport
from projections.menus import Menus
from projections.preorders import PreOrdersView
from projections.roster import Roster
from projections.school_reports import SchoolReports
from projections.statement import Statement
from projections.tariff_history import TariffHistory
from projections.terminal_reports import TerminalReports


def all_projections() -> list[Projection]:
    return [
        Balances(), Statement(), Attendance(), Menus(), SchoolReports(), Cards(),
        Roster(), Casework(), TerminalReports(), MenuFeedbackReport(), PreOrdersView(),
        Charges(), TariffHistory(), AuditTrail(),
    ]  # fmt: skip


def by_name(name: str) -> Projection:
    for projection in all_projections():
        if projection.name == name:
            return projection
    raise KeyError(f"no projection named {name!r}")
