"""The mixed load of ``manage.py bench_load`` (``make load``): people searching, browsing and working in
their deal rooms, with writes mixed in.

Each simulated person takes one of the prepared accounts (``BENCH_LOAD_ACCOUNTS``, a JSON file written by
the command: an API token, the deal room it belongs to, listings it may still inquire about) and loops with
no think time over, by weight: site search (4), API search (2), the technology list (2), a detail page (2),
its deal room and the thread (3), a message in the room (1), a new inquiry (1). Anything but the expected
status is a failure, so an error page or a refused write cannot look fast.
"""

# ruff: noqa: S311 - which page to fetch next, not cryptography
import itertools
import json
import os
import random

from locust import FastHttpUser, constant, task

ACCOUNTS = json.loads(open(os.environ["BENCH_LOAD_ACCOUNTS"]).read())  # noqa: SIM115, PTH123
QUERIES = ["xu ly nuoc thai", "nang luong mat troi", "cam bien do am", "thiet bi y te", "phan bon huu co"]
_next_account = itertools.count()


class Person(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.account = ACCOUNTS["people"][next(_next_account) % len(ACCOUNTS["people"])]
        self.auth = {"Authorization": f"Token {self.account['token']}", "Accept-Language": "vi"}
        self.inquiries = iter(self.account["inquire"])

    def _get(self, path, name, headers=None):
        with self.client.get(
            path,
            name=name,
            headers=headers or {"Accept-Language": "vi"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(4)
    def search_site(self):
        self._get(f"{ACCOUNTS['technologies']}?q={random.choice(QUERIES).replace(' ', '+')}", "search (site)")

    @task(2)
    def search_api(self):
        self._get(f"/api/v1/technologies/?q={random.choice(QUERIES).replace(' ', '+')}", "search (API)")

    @task(2)
    def browse_list(self):
        self._get(f"{ACCOUNTS['technologies']}?page={random.randint(1, 20)}", "browse list")

    @task(2)
    def browse_detail(self):
        self._get(random.choice(ACCOUNTS["details"]), "browse detail")

    @task(3)
    def deal_room(self):
        deal = self.account["deal"]
        self._get(f"/api/v1/deals/{deal}/", "deal room (API)", self.auth)
        self._get(f"/api/v1/deals/{deal}/messages/", "deal thread (API)", self.auth)

    @task(1)
    def send_message(self):
        with self.client.post(
            f"/api/v1/deals/{self.account['deal']}/messages/",
            json={"body": f"Tin nhắn thử tải {random.randint(1, 10**9)}: chúng tôi muốn biết thêm về TRL."},
            headers=self.auth,
            name="write message",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")

    @task(1)
    def inquire(self):
        listing = next(self.inquiries, None)
        if listing is None:
            return
        with self.client.post(
            "/api/v1/deals/",
            json={
                "listing": listing,
                "organization": self.account["organization"],
                "message": "Công ty chúng tôi quan tâm đến công nghệ này (thử tải).",
            },
            headers=self.auth,
            name="write inquiry",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
