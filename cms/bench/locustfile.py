"""The one-page load of ``manage.py bench_pages``: every simulated visitor GETs one of ``BENCH_PATHS``
(newline-separated, e.g. 100 detail pages or 5 search queries) in a loop, all reported as ``BENCH_NAME``.

A closed loop with no think time (``constant(0)``): throughput is what the server sustains with
``-u`` requests in flight. One page per locust run, so each page's requests/s is measured on its own,
under the same concurrency as the baseline. Anything but a 200 (a redirect, an error page) counts as a
failure, so a broken page cannot look fast.
"""

# ruff: noqa: S311 - which page to fetch next, not cryptography
import os
import random

from locust import FastHttpUser, constant, task

PATHS = os.environ["BENCH_PATHS"].split("\n")
NAME = os.environ.get("BENCH_NAME", PATHS[0])


class PageVisitor(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self):
        with self.client.get(
            random.choice(PATHS),
            name=NAME,
            allow_redirects=False,
            headers={"Accept-Language": "vi"},
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
