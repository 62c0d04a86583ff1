"""Truthful contracts: one error envelope on every route (RFC 9457), an OpenAPI document that
says what the server answers, CORS for the configured origins only, security headers."""

import httpx

from tests.operations.conftest import ORIGIN
from tests.problems import problem, problem_code
from tests.terminals.rig import TerminalWorld, tap


def test_routing_errors_are_problem_details_too(http: httpx.Client) -> None:
    assert (http.get("/nowhere").status_code, problem_code(http.get("/nowhere"))) == (
        404, "not_found",
    )  # fmt: skip
    wrong_method = http.get("/terminal/v1/taps")
    assert (wrong_method.status_code, problem_code(wrong_method)) == (405, "method_not_allowed")
    assert wrong_method.headers["allow"] == "POST"


def test_domain_and_signature_errors_keep_their_typed_code(school: TerminalWorld) -> None:
    unsigned = school.http.post("/terminal/v1/taps", json=tap("04AA"))
    body = problem(unsigned)
    assert (body["status"], body["code"], body["title"]) == (
        401,
        "unsigned_request",
        "Unauthorized",
    )
    assert "X-Terminal-Id" in body["detail"]
    refused = school["canteen_pos"].tap("04FFFFFFFFFFFF", items=[])
    assert (refused.status_code, problem_code(refused)) == (400, "tap_payload")


def test_openapi_states_the_real_errors_security_and_operation_ids(http: httpx.Client) -> None:
    openapi = http.get("/openapi.json").json()
    schemes = openapi["components"]["securitySchemes"]
    assert {schemes[n]["name"] for n in ("TerminalId", "Counter", "Signature")} == {
        "X-Terminal-Id", "X-Counter", "X-Signature",
    }  # fmt: skip
    assert schemes["StaffToken"]["scheme"] == "bearer"
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    problem_schema = openapi["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem_schema["properties"])
    tags = {t["name"]: t["description"] for t in openapi["tags"]}
    assert {"terminals", "staff", "operations"} <= set(tags)
    assert all(tags.values())
    ids = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            ids.append(operation["operationId"])
            assert "_" not in operation["operationId"], (path, method)
            assert operation["tags"], (path, method)
            assert "422" not in operation["responses"], (path, method)
            if path.startswith("/terminal/"):
                assert operation["security"] == [{"TerminalId": [], "Counter": [], "Signature": []}]
                for status in ("400", "401", "409", "413"):
                    content = operation["responses"][status]["content"]
                    assert content["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }
                names = {p["name"].lower() for p in operation.get("parameters", [])}
                assert not names & {"x-terminal-id", "x-counter", "x-signature"}
    assert len(ids) == len(set(ids))
    assert {"postTap", "postTapBatch", "getDenyList", "ready", "live", "metrics"} <= set(ids)


def test_cors_answers_the_configured_origin_only(http: httpx.Client) -> None:
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    allowed = http.options("/graphql", headers={"Origin": ORIGIN, **asked})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    other = http.options("/graphql", headers={"Origin": "https://evil.example", **asked})
    assert "access-control-allow-origin" not in other.headers
    simple = http.get("/live", headers={"Origin": ORIGIN})
    assert simple.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


def test_every_answer_carries_the_security_headers(http: httpx.Client) -> None:
    for answer in (http.get("/live"), http.get("/nowhere"), http.get("/docs")):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in http.get("/live").headers["content-security-policy"]
    docs = http.get("/docs").headers["content-security-policy"]  # its own scripts still run
    assert "script-src 'self'" in docs
