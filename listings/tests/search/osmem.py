"""Test-only plumbing for osmem-server, the in-memory server speaking the Elasticsearch REST API.

Nothing here is imported by production code: the tests point ``ELASTICSEARCH_NODE_CLASS`` at
``OsmemNode``. Against a real Elasticsearch (``ELASTICSEARCH_URL`` set) none of it is used.
"""

from __future__ import annotations

import os

from elastic_transport import Urllib3HttpNode

#: The client's Elasticsearch 9 media types, which osmem answers with 406, → plain JSON ones.
_REWRITES = {
    "application/vnd.elasticsearch+json; compatible-with=9": "application/json",
    "application/vnd.elasticsearch+x-ndjson; compatible-with=9": "application/x-ndjson",
}


class OsmemNode(Urllib3HttpNode):
    """Rewrites the ``Accept`` and ``Content-Type`` headers osmem rejects; everything else is as is."""

    def perform_request(self, method, target, body=None, headers=None, **kwargs):
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                value = headers.get(name)
                if value in _REWRITES:
                    headers[name] = _REWRITES[value]
        return super().perform_request(method, target, body=body, headers=headers, **kwargs)


def must_run() -> bool:
    """On CI a missing or broken osmem fails the Elasticsearch tests instead of skipping them."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
