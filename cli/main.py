"""`infoshkola`: the one command line for operators, developers and `make run`.

Each command group lives in its own module and is registered here.
"""

import typer

from cli import (
    accounts,
    api,
    audit,
    demo,
    projections,
    reader,
    terminals,
    up,
    users,
    workers,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Infoshkola school-card system")
app.command("demo")(demo.demo)
app.command("up")(up.up)
app.command("tap")(accounts.tap)
app.command("top-up")(accounts.top_up)
app.command("reader")(reader.reader)
app.add_typer(accounts.account_app, name="account")
app.add_typer(projections.app, name="projections")
app.command("api")(api.api)
app.add_typer(terminals.terminal_app, name="terminal")
app.command("workers")(workers.workers)
app.add_typer(users.users_app, name="users")
app.add_typer(audit.app, name="audit")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
