"""Load-test helpers of ``make bench-pages`` (the locustfile it drives gunicorn with)."""
