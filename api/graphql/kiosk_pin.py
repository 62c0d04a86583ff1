"""The kiosk PIN a parent sets in the cabinet (issue 12 point 7). Only its hash is kept, in
identity (`identity/kiosk_pins.py`), never in the event log; setting it unlocks a kiosk
locked by wrong tries."""

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.payloads import AccountInput, Refusals, account_mutation, refused
from identity.kiosk_pins import KioskPins, PinError


@strawberry.input(description="A new kiosk PIN for a contract.")
class SetKioskPinInput(AccountInput):
    pin: str = strawberry.field(description="Exactly 4 digits; replaces the PIN sent by SMS.")


@strawberry.type(description="Whether the kiosk PIN was set.")
class SetKioskPinPayload(Refusals):
    contract_number: str | None = strawberry.field(description="The contract, when set.")
    pin_set: bool = strawberry.field(description="True when the kiosk now takes the new PIN.")


async def set_pin(
    info: Info[Context, None], ref: perm.AccountRef, given: SetKioskPinInput
) -> SetKioskPinPayload:
    services = info.context.services
    try:
        await services.run(KioskPins(services.identity).set, ref.account_id, given.pin)
    except PinError as error:
        problem = refused(error.code, str(error), "input", "pin")
        return SetKioskPinPayload(contract_number=None, pin_set=False, user_errors=[problem])
    return SetKioskPinPayload(contract_number=ref.contract_number, pin_set=True, user_errors=[])


@strawberry.type
class KioskPinMutation:
    set_kiosk_pin = account_mutation(
        "setKioskPin",
        SetKioskPinInput,
        SetKioskPinPayload,
        "Parents: choose the contract's kiosk PIN (the kiosk asks for it before showing the"
        " balance or ordering a duplicate card); it also lifts a lockout.",
        set_pin,
    )
