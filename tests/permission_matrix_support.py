"""Helpers of the permission matrix (tests/test_permission_matrix.py): the roles, how each one makes a
request, and the walk over our URL resolver that finds every route the matrix must cover."""

from __future__ import annotations

import importlib

from django.urls import URLPattern, URLResolver, get_resolver

ANON = "anon"
OTHER = "other_researcher"
OWNER = "owner"
TTO = "tto_manager"
BUSINESS = "business"
BROKER = "broker"
MODERATOR = "moderator"
STAFF = "staff"
PEER = "peer"
ROLES = (ANON, OTHER, OWNER, TTO, BUSINESS, BROKER, MODERATOR, STAFF, PEER)

# Mounts that are not ours: Wagtail's admin/documents/pages, allauth, Django's admin and i18n. Our own
# views that live under /admin/ (registered by our wagtail_hooks or cms) are kept by OURS_UNDER_ADMIN.
EXCLUDED_MODULE_PREFIXES = (
    "wagtail.",
    "allauth.",
    "django.",
    "taggit.",
    "drf_spectacular.",  # the schema and docs are covered by tests/test_openapi.py
)
EXCLUDED_PATH_PREFIXES = ("django-admin/",)
OUR_PACKAGES = ("exchange.", "listings.", "valuation.", "regional_network.", "cms.")


def walk(resolver=None, prefix="", namespace=""):
    """Yield ``(route, key, module)`` for every pattern; ``key`` is ``ns:name`` or the route itself."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(x for x in (namespace, pattern.namespace) if x) if pattern.namespace else namespace
            yield from walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            module = getattr(callback, "__module__", "") or ""
            # DRF/Wagtail wrap class-based views: the class carries the real module.
            cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            if cls is not None:
                module = cls.__module__
            route = prefix + str(pattern.pattern)
            key = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or route)
            yield route, key, module


def our_routes() -> set[str]:
    """The keys of every route served by our code, with the explicit exclusions above applied."""
    keys = set()
    for route, key, module in walk():
        if route.startswith(EXCLUDED_PATH_PREFIXES):
            continue
        if module.startswith(EXCLUDED_MODULE_PREFIXES) or not module.startswith(OUR_PACKAGES):
            continue
        keys.add(key)
    return keys


# The modules that hold route tables. Each defines ``MATRIX`` (route -> {role: GET status}); the coverage
# test in tests/test_permission_matrix.py adds them up, so a route may have its table in any one of them.
MATRIX_MODULES = (
    "tests.test_permission_matrix",
    "tests.test_permission_matrix_deals",
    "tests.test_permission_matrix_services",
)


def all_tables() -> dict[str, dict]:
    """Every route table from every matrix module; a route with tables in two modules is an error."""
    tables: dict[str, dict] = {}
    for name in MATRIX_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        twice = set(tables) & set(module.MATRIX)
        if twice:
            raise AssertionError(f"routes with tables in two matrix modules: {sorted(twice)}")
        tables.update(module.MATRIX)
    return tables
