"""Who may do what to which object: one rule per root field, checked by every resolver.

`RULES` is the role × operation matrix. A rule's scope names the object its arguments point
at, and the resolver must pass that object through `account`, `school` or `terminal` below,
which check it against the viewer:

- parents see the contracts they hold (`manage`), representatives those shared with them
  (`read`, never a write);
- staff see the objects of their school(s); support and auditors may span several or all;
- auditors never write.

Unknown objects and foreign objects get the same FORBIDDEN answer, so ids cannot be probed.
The schema walk test fails for any field that takes or returns an object id without a rule.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from graphql import GraphQLError
from strawberry.types import Info

from api.graphql import readmodels
from api.graphql.context import Context
from domain.errors import DomainError
from identity.service import Access, Principal, Role


class Scope(StrEnum):
    ANONYMOUS = "anonymous"  # before login: throttled, answers never reveal existence
    SELF = "self"  # the viewer's own login
    CATALOGUE = "catalogue"  # public reference data, no object
    ACCOUNT = "account"
    SCHOOL = "school"
    TERMINAL = "terminal"


P, R = Role.PARENT, Role.REPRESENTATIVE
C, A, S, U = Role.CANTEEN_OPERATOR, Role.SCHOOL_ADMIN, Role.SUPPORT, Role.AUDITOR
EVERYONE = frozenset(Role)
FAMILY = (Role.PARENT, Role.REPRESENTATIVE)  # their contracts are their grants
NOBODY: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    scope: Scope
    writes: bool = False


def rule(scope: Scope, *roles: Role, writes: bool = False) -> Rule:
    return Rule(frozenset(roles), scope, writes)


RULES: dict[str, Rule] = {
    # Queries
    "Query.viewer": Rule(EVERYONE, Scope.SELF),
    "Query.tariffs": Rule(EVERYONE, Scope.CATALOGUE),
    "Query.account": rule(Scope.ACCOUNT, P, R, A, S, U),
    "Query.node": rule(Scope.ACCOUNT, P, R, A, S, U),  # the account-scoped nodes
    "Query.statement": rule(Scope.ACCOUNT, P, R, A, S, U),
    "Query.attendance": rule(Scope.ACCOUNT, P, R, A, S, U),
    "Query.menu": rule(Scope.SCHOOL, P, R, C, A, S, U),
    "Query.schoolToday": rule(Scope.SCHOOL, P, R, C, A, S, U),
    "Query.schoolReport": rule(Scope.SCHOOL, C, A, S, U),
    "Query.charges": rule(Scope.ACCOUNT, P, R, A, S, U),
    "Query.tariffHistory": rule(Scope.ACCOUNT, P, R, A, S, U),
    "Query.auditTrail": rule(Scope.ACCOUNT, U),
    "Query.historyExport": rule(Scope.ACCOUNT, P, R, U),
    # Identity
    "Mutation.login": Rule(NOBODY, Scope.ANONYMOUS),
    "Mutation.refreshToken": Rule(NOBODY, Scope.ANONYMOUS),
    "Mutation.requestPasswordReset": Rule(NOBODY, Scope.ANONYMOUS),
    "Mutation.resetPassword": Rule(NOBODY, Scope.ANONYMOUS),
    "Mutation.logout": Rule(EVERYONE, Scope.SELF),
    "Mutation.changePassword": Rule(EVERYONE, Scope.SELF),
    "Mutation.addRepresentative": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.resetAccess": rule(Scope.ACCOUNT, S, writes=True),
    # Parents' settings and cards
    "Mutation.changeDailyLimit": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.changeTariff": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.changeNotificationPreferences": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.changeContact": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.blockCard": rule(Scope.ACCOUNT, P, A, S, writes=True),
    "Mutation.orderDuplicateCard": rule(Scope.ACCOUNT, P, A, S, writes=True),
    "Mutation.unblockCard": rule(Scope.ACCOUNT, S, writes=True),
    "Mutation.leaveMenuFeedback": rule(Scope.ACCOUNT, P, writes=True),
    # Disputes and refunds (issue 7)
    "Mutation.disputeCharge": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.requestRefund": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.reverseCharge": rule(Scope.ACCOUNT, A, writes=True),
    "Mutation.rejectDispute": rule(Scope.ACCOUNT, A, writes=True),
    # Staff
    "Mutation.publishMenu": rule(Scope.SCHOOL, C, A, writes=True),
    "Mutation.registerTerminal": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.revokeTerminal": rule(Scope.TERMINAL, A, writes=True),
    "Mutation.grantSubsidy": rule(Scope.ACCOUNT, A, writes=True),
    "Mutation.revokeSubsidy": rule(Scope.ACCOUNT, A, writes=True),
    # Running a school (issue 11): enrolment, settings, fleet, casework queues, reports
    "Query.roster": rule(Scope.SCHOOL, C, A, S, U),
    "Query.schoolSettings": rule(Scope.SCHOOL, C, A, S, U),
    "Query.terminals": rule(Scope.SCHOOL, A, S, U),
    "Query.flaggedCharges": rule(Scope.SCHOOL, A, S, U),
    "Query.disputes": rule(Scope.SCHOOL, A, S, U),
    "Query.refunds": rule(Scope.SCHOOL, A, S, U),
    "Query.chargeEvidence": rule(Scope.ACCOUNT, A, S, U),
    "Query.report": rule(Scope.SCHOOL, A, S, U),
    "Query.menuFeedback": rule(Scope.SCHOOL, C, A, S, U),
    "Mutation.openContract": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.importRoster": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.issueCard": rule(Scope.ACCOUNT, A, S, writes=True),
    "Mutation.moveClass": rule(Scope.ACCOUNT, A, writes=True),
    "Mutation.endContract": rule(Scope.ACCOUNT, A, writes=True),
    "Mutation.promoteSchool": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.setMealOverdraft": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.setSchoolCalendar": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.setFeePause": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.setCommissionRate": rule(Scope.SCHOOL, S, writes=True),
    "Mutation.setOfflineCap": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.setLowBalanceDefault": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.setCaseworkContact": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.renameTerminal": rule(Scope.TERMINAL, A, writes=True),
    "Mutation.rotateTerminalSecret": rule(Scope.TERMINAL, A, S, writes=True),
    "Mutation.approveRefund": rule(Scope.ACCOUNT, A, S, writes=True),
    "Mutation.payRefund": rule(Scope.ACCOUNT, S, writes=True),
    "Mutation.terminateSchool": rule(Scope.SCHOOL, S, writes=True),
    # Personal data (issue 16): one's own data and consent, erasure requests, the access log
    "Query.myPersonalData": rule(Scope.SELF, P, R),
    "Query.privacyRequests": rule(Scope.ACCOUNT, P, A, S, U),
    "Query.accessLog": rule(Scope.ACCOUNT, U),
    "Mutation.acceptConsent": rule(Scope.SELF, P, R),
    "Mutation.withdrawConsent": rule(Scope.SELF, P, R),
    "Mutation.requestErasure": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.approveErasure": rule(Scope.ACCOUNT, A, S, writes=True),
    "Mutation.refuseErasure": rule(Scope.ACCOUNT, A, S, writes=True),
    # Parents pay (issue 12)
    "Query.topUpQuote": rule(Scope.ACCOUNT, P, R),
    "Query.topUp": rule(Scope.ACCOUNT, P, R),
    "Mutation.startTopUp": rule(Scope.ACCOUNT, P, writes=True),
    "Query.autopayments": rule(Scope.ACCOUNT, P, R),
    "Mutation.setUpAutopay": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.changeAutopay": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.changeAutopayCard": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.pauseAutopay": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.resumeAutopay": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.cancelAutopay": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.setLowBalanceThreshold": rule(Scope.ACCOUNT, P, writes=True),
    "Query.savedCards": rule(Scope.ACCOUNT, P, R),
    "Mutation.forgetSavedCard": rule(Scope.ACCOUNT, P, writes=True),
    "Query.notificationSettings": rule(Scope.ACCOUNT, P, R),
    "Mutation.changeNotificationSettings": rule(Scope.ACCOUNT, P, writes=True),
    "Query.protection": rule(Scope.ACCOUNT, P, R, A, S),
    "Mutation.changeProtection": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.setKioskPin": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.freezeCards": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.unfreezeCards": rule(Scope.ACCOUNT, P, writes=True),
    "Query.webPush": rule(Scope.ACCOUNT, P),
    "Query.myCasework": rule(Scope.ACCOUNT, P, R),
    "Mutation.registerPushSubscription": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.unregisterPushSubscription": rule(Scope.ACCOUNT, P, writes=True),
    "Query.preOrders": rule(Scope.ACCOUNT, P, R, A, S),
    "Query.preOrderPortions": rule(Scope.SCHOOL, C, A, S),
    "Query.preOrderCutoff": rule(Scope.SCHOOL, P, R, C, A, S),
    "Mutation.placePreOrder": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.cancelPreOrder": rule(Scope.ACCOUNT, P, writes=True),
    "Mutation.cancelSchoolMeals": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.setPreOrderCutoff": rule(Scope.SCHOOL, A, writes=True),
    "Mutation.transferBetweenSiblings": rule(Scope.ACCOUNT, P, writes=True),
    # Live
    "Subscription.accountEvents": rule(Scope.ACCOUNT, P, R, A, S, U),
}


@dataclass(frozen=True)
class AccountRef:
    account_id: UUID
    contract_number: str


class ForbiddenError(GraphQLError):
    def __init__(self) -> None:
        super().__init__("forbidden", extensions={"code": "FORBIDDEN"})


class UnauthenticatedError(GraphQLError):
    def __init__(self) -> None:
        super().__init__("log in first", extensions={"code": "UNAUTHENTICATED"})


def context_of(info: Info[Context, None]) -> Context:
    return info.context


async def viewer_for(
    info: Info[Context, None], coordinate: str, scope: Scope | None = None
) -> Principal:
    """The viewer, if the rule lets their role do this at all (the rule's object being of
    `scope`, when given)."""
    found = RULES[coordinate]
    principal = await context_of(info).viewer()
    if principal is None:
        raise UnauthenticatedError()
    if principal.role not in found.roles:
        raise ForbiddenError()
    if found.writes and principal.role in (Role.AUDITOR, Role.REPRESENTATIVE):
        raise ForbiddenError()  # belt and braces: read-only roles never write
    assert scope is None or found.scope == scope
    return principal


def in_school(principal: Principal, school_id: UUID) -> bool:
    return principal.all_schools or school_id in principal.school_ids


def reads_row(coordinate: str) -> Callable[[Principal], bool]:
    """Whether `coordinate` on a contract reads its balances row, for a principal: staff's
    rule checks the contract's school in it; `Query.account` answers with it."""
    return lambda principal: coordinate == "Query.account" or principal.role not in FAMILY


async def account(info: Info[Context, None], coordinate: str, contract: str) -> AccountRef:
    contract = contract.strip()
    plausible = bool(contract) and len(contract) <= 32 and contract.isprintable()
    # the row (when this field will read it) in the session check's hop
    await context_of(info).viewer(contract if plausible else None, reads_row(coordinate))
    principal = await viewer_for(info, coordinate, Scope.ACCOUNT)
    if not plausible:
        raise ForbiddenError()  # no such contract can exist: the answer for unknown ones
    if principal.role in FAMILY:
        for grant in principal.grants.values():
            if grant.contract_number == contract:
                if RULES[coordinate].writes and grant.access != Access.MANAGE:
                    raise ForbiddenError()
                return AccountRef(grant.account_id, contract)
        raise ForbiddenError()
    found = await context_of(info).account_row(contract)
    if found is None or not in_school(principal, found["school_id"]):
        raise ForbiddenError()
    return AccountRef(found["account_id"], contract)


async def school(info: Info[Context, None], coordinate: str, school_id: UUID) -> UUID:
    principal = await viewer_for(info, coordinate, Scope.SCHOOL)
    if principal.role in (Role.PARENT, Role.REPRESENTATIVE):
        ids = list(principal.grants)
        schools = await context_of(info).services.read(readmodels.schools_of, ids)
        if school_id not in schools:
            raise ForbiddenError()
    elif not in_school(principal, school_id):
        raise ForbiddenError()
    return school_id


async def terminal(info: Info[Context, None], coordinate: str, terminal_id: UUID) -> UUID:
    """The terminal's school, when the viewer may act on it."""
    principal = await viewer_for(info, coordinate, Scope.TERMINAL)
    services = context_of(info).services
    try:
        school_id = await services.run(services.ledger.terminal_school_id, terminal_id)
    except DomainError:
        raise ForbiddenError() from None
    if not in_school(principal, school_id):
        raise ForbiddenError()
    return school_id
