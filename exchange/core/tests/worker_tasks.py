"""A task that fails on purpose, used only by the worker retry test.

The attempts are counted in a file (the worker process and the test share only the file system and
the database); success is recorded in the database through the real audit service, which proves the
worker used the test's database.
"""

from pathlib import Path

from huey.contrib.djhuey import db_task

from exchange.core.services import audit_record

ACTION = "worker_test.flaky_succeeded"


@db_task(retries=3, retry_delay=1)
def flaky_task(attempts_file: str, fail_times: int, token: str) -> int:
    path = Path(attempts_file)
    with path.open("a") as fh:
        fh.write("attempt\n")
    attempts = len(path.read_text().splitlines())
    if attempts <= fail_times:
        raise RuntimeError(f"failing on purpose, attempt {attempts} of {fail_times}")
    audit_record(action=ACTION, data={"attempts": attempts, "token": token})
    return attempts
