"""`infoshkola graphql QUERY`: one GraphQL request to the running API, the answer printed as
readable, indented JSON (Russian as it is, not `\\u` escapes). `--username`/`--password` log
in first (the password may come from INFOSHKOLA_PASSWORD); `--token` uses a token as it is."""

from typing import Annotated, Any

import httpx
import orjson
import typer

from app.settings import Settings

LOGIN = """mutation Login($username: String!, $password: String!) {
  login(input: {username: $username, password: $password}) {
    session { accessToken } userErrors { code message }
  }
}"""


class GraphQLFailedError(Exception):
    """The API could not be reached or refused the request (one line)."""


def api_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::") else settings.api_host  # noqa: S104
    return f"http://{host}:{settings.api_port}/graphql"


def post(url: str, query: str, variables: dict[str, Any], token: str | None) -> Any:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    body = orjson.dumps({"query": query, "variables": variables})
    try:
        answer = httpx.post(url, content=body, headers=headers, timeout=30)
    except httpx.HTTPError as error:
        raise GraphQLFailedError(f"the API at {url} does not answer: {error}") from None
    if answer.headers.get("content-type", "").startswith("application/problem+json"):
        problem = answer.json()
        raise GraphQLFailedError(f"{answer.status_code} {problem['code']}: {problem['detail']}")
    return answer.json()


def login(url: str, username: str, password: str) -> str:
    found = post(url, LOGIN, {"username": username, "password": password}, None)
    payload = (found.get("data") or {}).get("login") or {}
    token = (payload.get("session") or {}).get("accessToken")
    if not token:
        refusals = payload.get("userErrors") or []
        why = (refusals[0]["message"] if refusals else None) or found.get("errors") or payload
        raise GraphQLFailedError(f"login as {username} refused: {why}")
    return str(token)


def graphql(
    query: Annotated[str, typer.Argument(help="the GraphQL document")],
    variables: Annotated[str, typer.Option(help="variables as a JSON object")] = "{}",
    username: Annotated[str | None, typer.Option(help="log in as this user first")] = None,
    password: Annotated[
        str | None, typer.Option(envvar="INFOSHKOLA_PASSWORD", help="the user's password")
    ] = None,
    token: Annotated[str | None, typer.Option(help="an access token")] = None,
    url: Annotated[str | None, typer.Option(help="default: the API of API_HOST/API_PORT")] = None,
) -> None:
    """Send a query to the API and print the answer as readable JSON."""
    target = url or api_url(Settings.from_env())
    try:
        given = orjson.loads(variables)
    except orjson.JSONDecodeError:
        raise typer.BadParameter(f"--variables {variables!r} is not a JSON object") from None
    if not isinstance(given, dict):
        raise typer.BadParameter("--variables must be a JSON object")
    try:
        if username:
            if password is None:
                password = typer.prompt("password", hide_input=True)
            token = login(target, username, password)
        answer = post(target, query, given, token)
    except GraphQLFailedError as error:
        typer.echo(f"infoshkola: {error}", err=True)
        raise typer.Exit(3 if "does not answer" in str(error) else 2) from None
    typer.echo(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
    if answer.get("errors"):
        raise typer.Exit(1)
