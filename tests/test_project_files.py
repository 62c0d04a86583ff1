"""The files a newcomer and CI rely on say what they must."""

import re
import tomllib
from glob import glob
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_make_test_and_nothing_more_clever() -> None:
    commands = [
        line
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith("set ")
    ]
    assert commands[-1].strip() == "make test"


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme


def test_compose_runs_every_process_on_postgres_and_redis_with_health_checks() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "api", "projections", "worker"} <= set(services)
    for name in ("postgres", "redis", "api", "projections", "worker"):
        assert "healthcheck" in services[name], name
    for name in ("api", "projections", "worker"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://")


def locked_versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, _, version = line.split(" ")[0].partition("==")
            found[canonicalize_name(name)] = version
    return found


def test_the_lock_pins_every_dependency_within_the_ranges_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    locked = locked_versions()
    for text in wanted:
        requirement = Requirement(text.split("#")[0])
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock pins {name}=={locked[name]}, outside {requirement.specifier}"
        )


def test_the_lock_pins_every_package_with_hashes() -> None:
    text = (ROOT / "requirements.lock").read_text()
    pinned = [line for line in text.splitlines() if "==" in line and not line.startswith(" ")]
    assert pinned
    assert text.count("--hash=sha256:") >= len(pinned)


# A path in the docs: a word with a slash that ends in a file's extension or in a slash, inside
# backticks or as a Markdown link's target; `{a,b}` stands for each of its names.
PATH_IN_TEXT = re.compile(r"[\w.{},*-]*/[\w.{},/*-]*")
MADE_AT_RUN_TIME = ("var/", "./var/", ".venv/")  # written by `make run` or `make setup`


def paths_named(text: str) -> set[str]:
    quoted = re.findall(r"`([^`\n]+)`", text) + re.findall(r"\]\(([^)\s]+)\)", text)
    found = set()
    for span in quoted:
        for word in PATH_IN_TEXT.findall(span):
            word = word.rstrip(".,")
            if "://" in span or word.startswith(("/", "../", *MADE_AT_RUN_TIME)):
                continue
            if not (word.endswith("/") or re.search(r"\.[a-z]{1,5}$", word)):
                continue  # a time zone, a route, a command's argument
            braces = re.search(r"\{([^}]*)\}", word)
            names = braces.group(1).split(",") if braces else [""]
            found |= {word.replace(braces.group(0), n) if braces else word for n in names}
    return found


@pytest.mark.parametrize("doc", ["README.md", "docs/ARCHITECTURE.md"])
def test_every_path_a_newcomer_is_sent_to_exists(doc: str) -> None:
    named = paths_named((ROOT / doc).read_text())
    assert len(named) > 20, "the paths are found"
    missing = sorted(
        p for p in named if not (glob(str(ROOT / p)) if "*" in p else (ROOT / p).exists())
    )
    assert missing == [], f"{doc} names paths that are not in the tree"


MAX_DOMAIN_MODULE_LINES = 300  # "no module in domain/ is over about 300 lines" (issue 17)


def test_no_domain_module_is_over_300_lines() -> None:
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in sorted((ROOT / "domain").rglob("*.py"))
    }
    assert len(lengths) > 20, "the domain's modules are found"
    over = [f"{p} has {n} lines" for p, n in lengths.items() if n > MAX_DOMAIN_MODULE_LINES]
    assert over == [], f"over {MAX_DOMAIN_MODULE_LINES} lines, split by concern: {over}"
