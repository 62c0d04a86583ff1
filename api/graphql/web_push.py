"""Web Push for the parent cabinet (a PWA): the key a browser subscribes with, and the
browser's subscription registered or forgotten. Subscriptions are the parent's personal data
(`adapters/people.py`): never in the event log, erased with the parent. What is pushed, and
when not, follows the notification settings (`notify.py`): the push channel of the tariff,
each kind switched on or off, quiet hours."""

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.payloads import AccountInput, Refusals, UserError, account_mutation, user_error
from api.graphql.queries import account_query
from domain import web_push
from domain.errors import DomainError


@strawberry.type(description="A browser that receives the contract's push messages.")
class PushBrowser:
    endpoint: str = strawberry.field(description="Its push service's address for it.")


@strawberry.type(description="Push messages to the parent's browsers (Web Push).")
class WebPush:
    public_key: str | None = strawberry.field(
        description="The VAPID public key (base64url) to subscribe with "
        "(`applicationServerKey`); null: this installation sends no web push."
    )
    browsers: list[PushBrowser] = strawberry.field(
        description="The browsers subscribed, newest first."
    )


@strawberry.input(description="A browser's push subscription, as `PushSubscription.toJSON()`.")
class RegisterPushSubscriptionInput(AccountInput):
    endpoint: str = strawberry.field(description="The push service's https:// address.")
    p256dh: str = strawberry.field(description="The browser's P-256 public key, base64url.")
    auth: str = strawberry.field(description="The browser's 16-byte auth secret, base64url.")


@strawberry.input(description="A browser that no longer wants push messages.")
class UnregisterPushSubscriptionInput(AccountInput):
    endpoint: str = strawberry.field(description="The subscription's endpoint.")


@strawberry.type(description="The browsers as they now stand.")
class WebPushPayload(Refusals):
    web_push: WebPush | None = strawberry.field(description="Null when refused.")


async def parent_of(info: Info[Context, None], account_id: Any) -> str:
    services = info.context.services
    account = await services.run(services.ledger.account, account_id)
    return str(account.parent_ref)


async def read_web_push(info: Info[Context, None], parent_ref: str) -> WebPush:
    services = info.context.services
    found = await services.run(services.people.push_subscriptions, [parent_ref])
    return WebPush(
        public_key=await services.run(lambda: services.vapid_public_key),
        browsers=[PushBrowser(endpoint=s.endpoint) for s in found],
    )


async def browsers_of(info: Info[Context, None], account_id: Any) -> WebPush:
    return await read_web_push(info, await parent_of(info, account_id))


def validated(
    given: RegisterPushSubscriptionInput, services: tuple[str, ...]
) -> web_push.PushSubscription | UserError:
    """The domain's checks, each refusal naming its input field."""
    checks = (
        ("endpoint", web_push.check_endpoint, given.endpoint),
        ("endpoint", lambda e: web_push.check_service(e, services), given.endpoint),
        ("p256dh", web_push.check_p256dh, given.p256dh),
        ("auth", web_push.check_auth, given.auth),
    )
    for name, check, value in checks:
        try:
            check(value)
        except DomainError as error:
            return user_error(error, ["input", name])
    return web_push.subscription(given.endpoint, given.p256dh, given.auth)


@strawberry.type
class WebPushQuery:
    web_push = account_query(
        "webPush",
        WebPush,
        "Parents: the key to subscribe a browser with, and browsers.",
        browsers_of,
    )


async def register(info: Info[Context, None], parent: str, given: Any) -> UserError | None:
    sub = validated(given, info.context.services.settings.web_push_services)
    if isinstance(sub, UserError):
        return sub
    people = info.context.services.people
    await info.context.services.run(people.add_push_subscription, parent, sub)
    return None


async def unregister(info: Info[Context, None], parent: str, given: Any) -> UserError | None:
    people = info.context.services.people
    endpoint = given.endpoint[: web_push.MAX_ENDPOINT]
    await info.context.services.run(people.remove_push_subscription, [parent], endpoint)
    return None


def browser_command(
    name: str,
    input_type: type[AccountInput],
    description: str,
    change: Callable[[Info[Context, None], str, Any], Awaitable[UserError | None]],
) -> Any:
    """The mutation `name(input: input_type): WebPushPayload`: `change(info, parent, input)`
    on the browsers of the parent of the contract the input names (a refusal, or None)."""

    async def handle(info: Info[Context, None], ref: perm.AccountRef, given: Any) -> WebPushPayload:
        parent = await parent_of(info, ref.account_id)
        if (error := await change(info, parent, given)) is not None:
            return WebPushPayload(web_push=None, user_errors=[error])
        return WebPushPayload(web_push=await read_web_push(info, parent), user_errors=[])

    return account_mutation(name, input_type, WebPushPayload, description, handle)


@strawberry.type
class WebPushMutation:
    register_push_subscription = browser_command(
        "registerPushSubscription",
        RegisterPushSubscriptionInput,
        "Parents: this browser receives the push messages.",
        register,
    )
    unregister_push_subscription = browser_command(
        "unregisterPushSubscription",
        UnregisterPushSubscriptionInput,
        "Parents: this browser no longer receives push messages.",
        unregister,
    )
