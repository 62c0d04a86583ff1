"""Parents plan (issue 12, point 5): meals pre-ordered from the published menu before the
school's cut-off, paid at order, served at the till, refunded when cancelled; the school's
cut-off and its cancellations. `preOrders` is a connection of `PreOrder` nodes (global id
`contract/id`, refetched under `Query.preOrders`'s account rule). Transfers between siblings:
`api/graphql/transfers.py`."""

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.arguments import After, ContractNumber, First, SchoolId
from api.graphql.connections import PAGING, account_node, bad_input, decode_key
from api.graphql.context import Context
from api.graphql.enums import PreOrderStatus
from api.graphql.payloads import AccountInput, Outcome, UserError, account_mutation, attempt
from api.graphql.queries import list_page
from api.graphql.scalars import Kopecks
from api.graphql.school_commands import SchoolInput, scheduled_on, school_mutation
from api.graphql.types import from_row
from domain import preorder as rules
from domain import school_settings
from domain.preorder_events import preorders_of
from domain.preorders import PreOrders
from projections.preorders import portions, preorder_of, preorders_page

PREORDER_ID = "[^/]+"  # `domain.preorders` makes them: uuid4().hex
DayArgument = Annotated[date, strawberry.argument(description="The school-local day of the meal.")]


@strawberry.type(description="A dish of a pre-order.")
class PreOrderLine:
    code: str = strawberry.field(description="The dish's code on the menu.")
    name: str = strawberry.field(description="The dish's name on the menu.")
    price: Kopecks = strawberry.field(description="The price of one portion when ordered.")
    quantity: int = strawberry.field(description="Portions.")

    @classmethod
    def of(cls, line: dict[str, Any]) -> "PreOrderLine":
        return cls(
            code=str(line["code"]),
            name=str(line["name"]),
            price=Kopecks(int(line["price"])),
            quantity=int(line["quantity"]),
        )


@strawberry.type(description="A meal ordered ahead for one school day, paid when ordered.")
class PreOrder(relay.Node):
    contract_number: strawberry.Private[str]
    pre_order_id: str = strawberry.field(description="The pre-order's id.")
    meal_date: date = strawberry.field(description="The school-local day of the meal.")
    items: list[PreOrderLine] = strawberry.field(description="The dishes as ordered.")
    open_items: list[PreOrderLine] = strawberry.field(
        description="The dishes still to serve (neither served nor cancelled)."
    )
    amount: Kopecks = strawberry.field(description="What was paid when it was ordered.")
    refunded: Kopecks = strawberry.field(description="What came back for cancelled dishes.")
    status: PreOrderStatus = strawberry.field(description="Where it stands.")
    cancel_reason: str | None = strawberry.field(description="Why dishes were cancelled.")
    cutoff_at: datetime = strawberry.field(
        description="Until when the parent may cancel it (UTC): the school's cut-off."
    )

    resolve_id, resolve_nodes = account_node(
        preorder_of, "Query.preOrders", "pre_order_id", PREORDER_ID
    )

    @classmethod
    def of(cls, o: dict[str, Any], contract_number: str) -> "PreOrder":
        """From a `preorders` row, or the account's state (`domain.preorder_events`) with its id
        as `preorder_id`."""
        open_items = o["open_items"] if "open_items" in o else list(o["lines"].values())
        cutoff = o["cutoff_at"]
        return cls(
            contract_number=contract_number,
            pre_order_id=o["preorder_id"],
            meal_date=date.fromisoformat(str(o["meal_date"])),
            items=[PreOrderLine.of(i) for i in o["items"]],
            open_items=[PreOrderLine.of(i) for i in open_items],
            amount=Kopecks(int(o["amount"])),
            refunded=Kopecks(int(o["refunded"])),
            status=PreOrderStatus(o["status"]),
            cancel_reason=o.get("cancel_reason", o.get("reason")),
            cutoff_at=cutoff if isinstance(cutoff, datetime) else datetime.fromisoformat(cutoff),
        )


@strawberry.type(description="Portions of one dish pre-ordered for a day and still to serve.")
class PreOrderPortions:
    code: str = strawberry.field(description="The dish's code on the menu.")
    name: str = strawberry.field(description="The dish's name.")
    portions: int = strawberry.field(description="Portions ordered and not yet served.")


@strawberry.input(description="A dish to pre-order.")
class PreOrderItemInput:
    code: str = strawberry.field(description="The dish's code on that day's published menu.")
    quantity: int = strawberry.field(default=1, description="Portions (1 to 5).")


@strawberry.input(description="Pre-order a meal for a coming school day, paid now.")
class PlacePreOrderInput(AccountInput):
    meal_date: date = strawberry.field(description="The school-local day of the meal.")
    items: list[PreOrderItemInput] = strawberry.field(description="The dishes (1 to 10).")


@strawberry.input(description="Cancel a pre-order before the cut-off: refunded in full.")
class CancelPreOrderInput(AccountInput):
    pre_order_id: str = strawberry.field(description="The pre-order to cancel.")


@strawberry.type(description="The pre-order as it now stands.")
class PreOrderPayload(Outcome):
    pre_order: PreOrder | None = strawberry.field(description="The pre-order.")


@strawberry.input(description="The school cancels a day's meals, or some dishes of it.")
class CancelSchoolMealsInput(SchoolInput):
    meal_date: date = strawberry.field(description="The school-local day (today or later).")
    item_codes: list[str] = strawberry.field(
        default_factory=list, description="The dishes cancelled; empty: the whole day."
    )
    reason: str = strawberry.field(description="Why, as the parents will read it.")


@strawberry.type(description="What the cancellation refunded (this run).")
class CancelSchoolMealsPayload(Outcome):
    refunded_pre_orders: int = strawberry.field(
        description="Pre-orders refunded, in part or whole."
    )
    refunded: Kopecks = strawberry.field(description="Kopecks credited back to the accounts.")


@strawberry.input(description="When the school's pre-orders close.")
class SetPreOrderCutoffInput(SchoolInput):
    cutoff: str = strawberry.field(
        description="HH:MM school time on the day before the meal (the default is 16:00)."
    )
    effective_from: date | None = strawberry.field(
        default=None, description="From which school-local day; none: today."
    )


@strawberry.type(description="The recorded cut-off.")
class SetPreOrderCutoffPayload(Outcome):
    cutoff: str | None = strawberry.field(description="HH:MM, as recorded.")


def preorder_after(cursor: str | None) -> tuple[date, datetime, str] | None:
    """The key (meal date, placed at, id) a `preOrders` page's `after` cursor stands for."""
    past = decode_key(cursor, 3)
    if past is None:
        return None
    try:
        meal_date, placed_at = date.fromisoformat(past[0]), datetime.fromisoformat(past[1])
    except ValueError:
        raise bad_input("malformed cursor") from None
    if placed_at.tzinfo is None:
        raise bad_input("malformed cursor")
    return meal_date, placed_at, past[2]


async def preorder_payload(
    info: Info[Context, None],
    ref: perm.AccountRef,
    preorder_id: str,
    position: int | None,
    errors: list[UserError],
) -> PreOrderPayload:
    if errors:
        return PreOrderPayload.refusing(errors, pre_order=None)
    services = info.context.services
    account = await services.run(services.ledger.account, ref.account_id)
    found = {**preorders_of(account)[preorder_id], "preorder_id": preorder_id}
    return PreOrderPayload.done(position, pre_order=PreOrder.of(found, ref.contract_number))


@strawberry.type
class PlanQuery:
    @strawberry.field(description=f"A child's pre-orders, the latest meal first, {PAGING}")
    async def pre_orders(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        since: Annotated[
            date | None,
            strawberry.argument(description="Only meals from this school-local day on."),
        ] = None,
        first: First = 50,
        after: After = None,
    ) -> relay.Connection[PreOrder]:
        ref = await perm.account(info, "Query.preOrders", contract_number)
        return await list_page(
            info, [], None, first,
            preorders_page, ref.account_id, since, preorder_after(after),
            key=lambda r: (str(r["meal_date"]), r["placed_at"].isoformat(), r["preorder_id"]),
            node=lambda r: PreOrder.of(r, ref.contract_number),
        )  # fmt: skip

    @strawberry.field(description="The kitchen's count: portions pre-ordered for a day.")
    async def pre_order_portions(
        self, info: Info[Context, None], school: SchoolId, meal_date: DayArgument
    ) -> list[PreOrderPortions]:
        await perm.school(info, "Query.preOrderPortions", school)
        found = await info.context.services.read(portions, school, meal_date)
        return [from_row(PreOrderPortions, r, portions=r["ordered"]) for r in found]

    @strawberry.field(description="When pre-orders for a school day close (UTC).")
    async def pre_order_cutoff(
        self, info: Info[Context, None], school: SchoolId, meal_date: DayArgument
    ) -> datetime:
        await perm.school(info, "Query.preOrderCutoff", school)
        services = info.context.services
        found = await services.run(services.ledger.school, school)
        return rules.cutoff_for(found, meal_date)


async def place(
    info: Info[Context, None], ref: perm.AccountRef, given: PlacePreOrderInput
) -> PreOrderPayload:
    order = [{"code": i.code, "quantity": i.quantity} for i in given.items]
    preorders = PreOrders(info.context.services.ledger)
    placed, errors = await attempt(info, preorders.place, ref.account_id, given.meal_date, order)
    preorder_id = placed.preorder_id if placed else ""
    position = placed.position if placed else None
    return await preorder_payload(info, ref, preorder_id, position, errors)


async def cancel(
    info: Info[Context, None], ref: perm.AccountRef, given: CancelPreOrderInput
) -> PreOrderPayload:
    preorders = PreOrders(info.context.services.ledger)
    preorder_id = given.pre_order_id[:64]
    position, errors = await attempt(info, preorders.cancel, ref.account_id, preorder_id)
    return await preorder_payload(info, ref, preorder_id, position, errors)


async def cancel_meals(
    info: Info[Context, None], school: UUID, given: CancelSchoolMealsInput
) -> CancelSchoolMealsPayload:
    preorders = PreOrders(info.context.services.ledger)
    codes = list(given.item_codes)[: rules.MAX_LINES * 10]
    done, errors = await attempt(
        info, preorders.cancel_service, school, given.meal_date, codes, given.reason
    )
    if done is None:
        return CancelSchoolMealsPayload.refusing(errors, refunded_pre_orders=0, refunded=Kopecks(0))
    return CancelSchoolMealsPayload.done(
        done.position, refunded_pre_orders=done.preorders, refunded=Kopecks(done.amount)
    )


async def set_cutoff(
    info: Info[Context, None], school: UUID, given: SetPreOrderCutoffInput
) -> SetPreOrderCutoffPayload:
    setting = school_settings.PREORDER_CUTOFF
    at, errors = await scheduled_on(info, school, setting, given.cutoff, given.effective_from)
    cutoff = None if errors else given.cutoff
    return SetPreOrderCutoffPayload(cutoff=cutoff, user_errors=errors, position=at)


@strawberry.type
class PlanMutation:
    place_pre_order = account_mutation(
        "placePreOrder",
        PlacePreOrderInput,
        PreOrderPayload,
        "Parents: pre-order a meal from the day's published menu before the school's cut-off;"
        " paid now, served at the canteen's till without a second charge.",
        place,
    )
    cancel_pre_order = account_mutation(
        "cancelPreOrder",
        CancelPreOrderInput,
        PreOrderPayload,
        "Parents: cancel a pre-order before its cut-off (refunded).",
        cancel,
    )
    cancel_school_meals = school_mutation(
        "cancelSchoolMeals",
        CancelSchoolMealsInput,
        CancelSchoolMealsPayload,
        "School admins: cancel a day's meals or some dishes; every pre-order of them is"
        " refunded once (running it again refunds only what is left).",
        cancel_meals,
    )
    set_pre_order_cutoff = school_mutation(
        "setPreOrderCutoff",
        SetPreOrderCutoffInput,
        SetPreOrderCutoffPayload,
        "School admins: when pre-orders close, from a day on.",
        set_cutoff,
    )
