"""The project's promises about itself: the README, docker-compose and config agree."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def config_variables() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'env(?:_bool|_int)?\(\s*"([A-Z_]+)"', source))


def test_readme_documents_every_environment_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = {name for name in config_variables() if f"`{name}`" not in readme}
    assert not undocumented


def test_readme_first_screen_gives_the_two_commands():
    first_screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:15])
    assert "make run" in first_screen and "make test" in first_screen


def test_ci_runs_make_test_and_nothing_else():
    lines = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip()
        and not line.startswith("#")
        and not line.startswith("set ")
        and not line.startswith("cd ")
    ]
    assert lines == ["exec make test"]


def test_docker_compose_is_consistent_with_config():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "scheduler", "mailpit"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "mailpit"):
        assert "healthcheck" in services[name], name
    assert services["scheduler"]["command"] == ["flask", "scheduler", "run"]
    assert services["scheduler"]["deploy"]["replicas"] == 1
    assert "gunicorn" in services["web"]["command"]
    assert "scheduler" not in " ".join(services["web"]["command"])
    known = config_variables()
    env = dict(services["web"]["environment"])
    example = [
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    ]
    unknown = {
        name for name in [*env, *example] if name not in known and name != "POSTGRES_PASSWORD"
    }
    assert not unknown
    assert set(compose["volumes"]) >= {"pgdata", "uploads"}
    # Replies by mail: the SMTP server is a service of its own, writing files where web reads.
    inbound = services["inbound"]
    assert inbound["command"][:3] == ["flask", "mail", "inbound"] and "healthcheck" in inbound


def test_screenshots_named_in_the_readme_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in re.findall(r"\((docs/screenshots/[^)]+)\)", readme):
        assert (ROOT / path).is_file(), path


def test_no_cdn_in_templates():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r'(src|href)="(https?:)?//', text), template
