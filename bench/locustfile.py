"""The simulated people of `make bench-load` (bench/load.py starts locust with this file).

Staff of a department watch the control board (all, overdue, a text search) and their inbox (the
home page); directors open «Мои поручения», an assignment of their school, and file execution
reports on the open ones. HealthUser only asks /health: the same run against the bare endpoint.
Accounts come from the environment load.py sets (LOAD_STAFF, LOAD_DIRECTORS, LOAD_PASSWORD)."""

from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
STAFF = itertools.cycle(os.environ.get("LOAD_STAFF", "").split(","))
DIRECTORS = itertools.cycle(os.environ.get("LOAD_DIRECTORS", "").split(","))
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LINK = re.compile(r'href="/assignments/(\d+)"')


class Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)
    accounts = STAFF

    def on_start(self) -> None:
        page = self.client.get("/auth/login", name="/auth/login (form)").text
        token = TOKEN.search(page).group(1)
        with self.client.post(
            "/auth/login",
            data={"csrf_token": token, "email": next(self.accounts), "password": PASSWORD},
            allow_redirects=False,
            name="/auth/login (POST)",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")


class Staff(Person):
    weight = 3
    accounts = STAFF

    @task(4)
    def board(self) -> None:
        self.client.get("/board", name="/board")

    @task(2)
    def overdue(self) -> None:
        self.client.get("/board?status=overdue", name="/board?status=overdue")

    @task(1)
    def search(self) -> None:
        word = random.choice(["документ 7", "документ", "представить", "разработать 3"])
        self.client.get("/board", params={"q": word}, name="/board?q=…")

    @task(3)
    def inbox(self) -> None:
        self.client.get("/", name="/ (inbox)")


class Director(Person):
    weight = 2
    accounts = DIRECTORS

    @task(4)
    def mine(self) -> None:
        page = self.client.get("/my", name="/my").text
        self.links = LINK.findall(page)

    @task(2)
    def report(self) -> None:
        links = getattr(self, "links", None) or LINK.findall(
            self.client.get("/my", name="/my").text
        )
        assignment = random.choice(links)
        page = self.client.get(f"/assignments/{assignment}", name="/assignments/<id>").text
        if 'data-testid="report-form"' not in page:
            return  # already reported or done: nothing to file
        token = TOKEN.search(page).group(1)
        self.client.post(
            f"/assignments/{assignment}/report",
            data={"csrf_token": token, "text": "Выполнено: документ разработан и направлен."},
            name="/assignments/<id>/report (POST)",
        )


class HealthUser(HttpUser):
    """Only the bare endpoint: the yardstick run."""

    wait_time = between(0.5, 2)

    @task
    def health(self) -> None:
        self.client.get("/health", name="/health")
