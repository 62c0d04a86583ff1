"""Arguments many fields take, each with its one description."""

from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry

from api.graphql.scalars import Position

AtLeast = Annotated[
    Position | None,
    strawberry.argument(
        description="Read your own writes: wait (a few seconds at most) until the read models"
        " have applied this ledger position (a mutation's `position`)."
    ),
]
ContractNumber = Annotated[
    str, strawberry.argument(description="The contract number of the pupil's account.")
]
Since = Annotated[
    date | None, strawberry.argument(description="The first school-local day (inclusive).")
]
Until = Annotated[
    date | None,
    strawberry.argument(description="The last school-local day (inclusive); today by default."),
]
First = Annotated[
    int, strawberry.argument(description="How many items at most in this page (1 to 200).")
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="The cursor after which the page starts (`pageInfo.endCursor` of the"
        " previous page); from the start when absent."
    ),
]
SchoolId = Annotated[UUID, strawberry.argument(description="The school's id.")]
EffectiveFrom = Annotated[
    date, strawberry.argument(description="The school-local day from which it applies.")
]
Reason = Annotated[
    str, strawberry.argument(description="Why, in a few words (recorded with the event).")
]
Note = Annotated[str, strawberry.argument(description="A note for the record (optional).")]
ChargeKey = Annotated[
    str, strawberry.argument(description="The charge's key, as `charges` lists it.")
]
CardUid = Annotated[str, strawberry.argument(description="The card's UID.")]
TerminalId = Annotated[UUID, strawberry.argument(description="The terminal's id.")]
Username = Annotated[
    str,
    strawberry.argument(
        description="A contract number (parents), a phone (representatives) or a staff username."
    ),
]
NewPassword = Annotated[str, strawberry.argument(description="The new password.")]
Input = strawberry.argument(description="What to do: see the input type's fields.")
