"""`infoshkola demo`: a school in Novosibirsk with one terminal of each kind and 30 pupils."""

from typing import Annotated
from uuid import UUID, uuid4

import typer

from adapters.people import PeopleStore
from app.composition import bootstrap
from domain.kinds import TerminalKind
from domain.ledger import Ledger
from domain.recorded import acting_as, derived_id
from domain.tap import TapRequest

DEMO_SCHOOL_ID = derived_id("demo", "school")
PUPILS = 30
FIRST_NAMES = ["Аня", "Борис", "Вера", "Глеб", "Даша", "Егор", "Женя", "Зоя", "Иван", "Катя"]
LAST_NAMES = ["Иванов", "Петров", "Сидоров"]


def demo_terminal_id(kind: str) -> UUID:
    return derived_id("demo", "terminal", kind)


def demo_uid(n: int) -> str:
    return f"04DE{n:010X}"


def demo_contract(n: int) -> str:
    return f"DEMO-{n:04d}"


def seed_demo(ledger: Ledger, people: PeopleStore | None = None) -> str:
    """Seed once; running it again changes nothing and prints the same summary."""
    with acting_as("system:demo"):
        if DEMO_SCHOOL_ID not in ledger.repository:
            _seed(ledger, people)
    lines = [f"demo school {DEMO_SCHOOL_ID} (Asia/Novosibirsk)"]
    lines += [
        f"  terminal {kind.value:<12} {demo_terminal_id(kind.value)}" for kind in TerminalKind
    ]
    lines.append(f"  pupils {demo_contract(1)}..{demo_contract(PUPILS)}, cards {demo_uid(1)}..")
    return "\n".join(lines)


def _seed(ledger: Ledger, people: PeopleStore | None) -> None:
    school = ledger.register_school(
        "Гимназия №1", "Новосибирск", "Asia/Novosibirsk", 15_000, school_id=DEMO_SCHOOL_ID
    )
    for kind in TerminalKind:
        ledger.register_terminal(school, kind.value, f"Демо: {kind.value}", demo_terminal_id(kind))
    kiosk = demo_terminal_id(TerminalKind.KIOSK)
    now = ledger.clock()
    today = ledger.school(school).local_date(now)  # the school's day, not UTC's
    for n in range(1, PUPILS + 1):
        pupil_ref, parent_ref = f"subject:demo-pupil-{n}", f"subject:demo-parent-{n}"
        name = f"{LAST_NAMES[n % 3]} {FIRST_NAMES[n % 10]}"
        if people is not None:
            people.put(pupil_ref, name=name, class_name=f"{1 + n % 11}А")
            people.put(parent_ref, phone=f"+7913000{n:04d}", email=f"parent{n}@demo.invalid")
        account = ledger.open_account(
            demo_contract(n), school, f"{1 + n % 11}А", pupil_ref, parent_ref
        )
        ledger.issue_card(account, demo_uid(n))
        deposit = 30_000 + 5_000 * (n % 7)
        ledger.activate_card(
            demo_uid(n), "offer-2025-09", parent_ref, deposit, f"demo-kiosk-{n}", kiosk
        )
        if n % 5 == 0:
            ledger.grant_subsidy(account, "многодетная семья", 9_000)
            ledger.credit_subsidy(account, 9_000, today.isoformat())
        ledger.handle_tap(
            TapRequest.parse(
                demo_terminal_id(TerminalKind.TURNSTILE),
                f"demo-in-{n}",
                demo_uid(n),
                now,
                direction="in",
            )
        )
        ledger.handle_tap(
            TapRequest.parse(
                demo_terminal_id(TerminalKind.CANTEEN_POS), f"demo-lunch-{n}", demo_uid(n), now,
                items=[{"code": "LUNCH", "name": "Комплексный обед", "price": 9_000,
                        "quantity": 1, "meal": True}],
            )
        )  # fmt: skip


def new_pupil(ledger: Ledger, people: PeopleStore, deposit: int = 50_000) -> tuple[str, str]:
    """A fresh pupil of the demo school with an activated card and money: the README tour
    runs on one, so it can be run again the same day (daily limit, replayed payment ids)."""
    tag = uuid4().hex[:6].upper()
    contract, uid = f"TOUR-{tag}", f"04DE{uuid4().hex[:10].upper()}"
    pupil_ref, parent_ref = f"subject:tour-pupil-{tag}", f"subject:tour-parent-{tag}"
    people.put(pupil_ref, name=f"Тур {tag}", class_name="5А")
    people.put(parent_ref, phone=f"+7913{int(tag, 16) % 10_000_000:07d}")
    with acting_as("system:demo"):
        account = ledger.open_account(contract, DEMO_SCHOOL_ID, "5А", pupil_ref, parent_ref)
        ledger.issue_card(account, uid)
        kiosk = demo_terminal_id(TerminalKind.KIOSK)
        ledger.activate_card(uid, "offer-2025-09", parent_ref, deposit, f"tour-{tag}", kiosk)
    return contract, uid


def demo(
    fresh_pupil: Annotated[
        bool,
        typer.Option(
            "--new-pupil",
            help="also open a fresh pupil with money and print CONTRACT=… CARD=… for `eval`",
        ),
    ] = False,
) -> None:
    """Seed the demo school (idempotent) and print its terminals and pupils."""
    container = bootstrap()
    try:
        people = PeopleStore(container.database_url)
        people.create_tables()
        summary = seed_demo(container.ledger, people)
        if not fresh_pupil:
            typer.echo(summary)
            return
        contract, uid = new_pupil(container.ledger, people)
        typer.echo(f"CONTRACT={contract} CARD={uid}")
    finally:
        container.close()
