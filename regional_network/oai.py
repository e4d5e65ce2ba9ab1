"""OAI-PMH 2.0 at ``/oai`` over the same change log as the federation feed.

Items are our refs; each item's state is its latest ``ChangeEntry`` (deleted entries are answered with
``status="deleted"``, ``deletedRecord=persistent``). Datestamps are the entry times in UTC with seconds
granularity. Sets: ``kind:offer``, ``kind:request`` and ``field:<code>`` (``field:2`` also holds its
sub-fields ``2.xx``). Formats: ``oai_dc`` and ``techex`` (the full interchange record as XML, schema at
``/oai/techex-1.xsd``). Lists are cut in pages of ``PAGE`` with opaque resumption tokens that carry the
arguments and the last ``seq`` sent, so a harvest through tokens never skips an item (same argument
as the feed: see ``changelog``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .changelog import latest_entries
from .models import ChangeEntry

PAGE = 100
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
TECHEX_NS = "https://techex.hochiminhcity.gov.vn/schema/techex-1"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ET.register_namespace("", OAI_NS)
ET.register_namespace("oai_dc", OAI_DC_NS)
ET.register_namespace("dc", DC_NS)
ET.register_namespace("xsi", XSI_NS)
ET.register_namespace("techex", TECHEX_NS)

FORMATS = {
    "oai_dc": (OAI_DC_NS, "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
    "techex": (TECHEX_NS, None),  # schema URL built per request
}
VERBS = {
    "Identify": set(),
    "ListMetadataFormats": {"identifier"},
    "ListSets": {"resumptionToken"},
    "ListIdentifiers": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "ListRecords": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "GetRecord": {"identifier", "metadataPrefix"},
}


class OAIError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _sub(parent, ns: str, tag: str, text: Any = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, _q(ns, tag), {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = str(text)
    return element


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _namespace() -> str:
    return getattr(settings, "FEDERATION_OAI_NAMESPACE", f"{settings.EXCHANGE_ORIGIN}.techex.vn")


def oai_identifier(ref: str) -> str:
    return f"oai:{_namespace()}:{ref}"


def _ref_of(identifier: str) -> str:
    prefix = f"oai:{_namespace()}:"
    if not identifier.startswith(prefix) or len(identifier) == len(prefix):
        raise OAIError("idDoesNotExist", f"Unknown identifier {identifier}")
    return identifier[len(prefix) :]


def _parse_date(value: str, *, end: bool) -> dt.datetime:
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
            return moment.replace(tzinfo=dt.UTC, microsecond=999999 if end else 0)
        if len(value) == 20 and value.endswith("Z"):
            moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            return moment.replace(microsecond=999999) if end else moment
    except ValueError:
        pass
    raise OAIError("badArgument", f"Bad date {value!r}: use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")


def _encode_token(args: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(args, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_token(token: str) -> dict:
    try:
        padded = token + "=" * (-len(token) % 4)
        args = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(args, dict) or not isinstance(args.get("c"), int):
            raise ValueError
        return args
    except (ValueError, TypeError) as exc:
        raise OAIError("badResumptionToken", "The resumption token is invalid or expired") from exc


# --- metadata ---------------------------------------------------------------------------------------
def _dc(parent, record: dict) -> None:
    root = _sub(parent, OAI_DC_NS, "dc")
    root.set(_q(XSI_NS, "schemaLocation"), f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
    for lang, text in (record.get("title") or {}).items():
        _sub(root, DC_NS, "title", text).set(_q(XML_NS, "lang"), lang)
    for inventor in record.get("inventors") or []:
        _sub(root, DC_NS, "creator", inventor.get("name"))
    subjects = [*(record.get("keywords") or []), record.get("field")]
    for subject in filter(None, subjects):
        _sub(root, DC_NS, "subject", subject)
    for lang, text in (record.get("summary") or record.get("problem") or {}).items():
        _sub(root, DC_NS, "description", text).set(_q(XML_NS, "lang"), lang)
    organization = (record.get("organization") or {}).get("name")
    if organization:
        _sub(root, DC_NS, "publisher", organization)
    if record.get("updated_at"):
        _sub(root, DC_NS, "date", record["updated_at"][:10])
    _sub(root, DC_NS, "type", "technology offer" if record.get("kind") == "offer" else "technology request")
    _sub(root, DC_NS, "identifier", oai_identifier(record["ref"]))
    if record.get("province"):
        _sub(root, DC_NS, "coverage", record["province"])
    for lang in record.get("title") or {}:
        _sub(root, DC_NS, "language", lang)


def _value(parent, ns: str, tag: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        _sub(parent, ns, tag, "true" if value else "false")
    elif isinstance(value, dict):
        element = _sub(parent, ns, tag)
        for key, item in value.items():
            if tag in _LANG_KEYS:
                _sub(element, ns, "text", item, lang=key)
            else:
                _value(element, ns, key, item)
    elif isinstance(value, list):
        element = _sub(parent, ns, tag)
        for item in value:
            _value(element, ns, "item", item)
    else:
        _sub(parent, ns, tag, value)


_LANG_KEYS = {"title", "summary", "description", "advantages", "applications", "problem", "desired_outcome"}


def _techex(parent, record: dict, schema_url: str) -> None:
    root = _sub(parent, TECHEX_NS, "record")
    root.set(_q(XSI_NS, "schemaLocation"), f"{TECHEX_NS} {schema_url}")
    for key in TECHEX_ORDER:
        if key in record:
            _value(root, TECHEX_NS, key, record[key])


TECHEX_ORDER = [
    "schema", "origin", "version", "ref", "kind", "title", "summary", "description", "advantages",
    "applications", "problem", "desired_outcome", "field", "keywords", "trl", "trl_wanted", "ip",
    "transaction_types", "price", "organization", "inventors", "province", "state_funded", "deadline",
    "anonymous", "media", "updated_at",
]  # fmt: skip


# --- verbs ------------------------------------------------------------------------------------------
class Harvest:
    def __init__(self, request):
        self.request = request
        self.base_url = request.build_absolute_uri(request.path)
        self.schema_url = request.build_absolute_uri(reverse("oai-techex-xsd"))

    def header(self, parent, entry: ChangeEntry) -> None:
        attrs = {"status": "deleted"} if entry.deleted else {}
        header = _sub(parent, OAI_NS, "header", **attrs)
        _sub(header, OAI_NS, "identifier", oai_identifier(entry.ref))
        _sub(header, OAI_NS, "datestamp", _stamp(entry.at))
        if entry.kind:
            _sub(header, OAI_NS, "setSpec", f"kind:{entry.kind}")
        if entry.field:
            top = entry.field.split(".")[0]
            if top != entry.field:
                _sub(header, OAI_NS, "setSpec", f"field:{top}")
            _sub(header, OAI_NS, "setSpec", f"field:{entry.field}")

    def record(self, parent, entry: ChangeEntry, prefix: str) -> None:
        element = _sub(parent, OAI_NS, "record")
        self.header(element, entry)
        if entry.deleted or entry.record is None:
            return
        metadata = _sub(element, OAI_NS, "metadata")
        if prefix == "oai_dc":
            _dc(metadata, entry.record)
        else:
            _techex(metadata, entry.record, self.schema_url)

    def identify(self, root, args) -> None:
        node = _sub(root, OAI_NS, "Identify")
        _sub(node, OAI_NS, "repositoryName", settings.WAGTAIL_SITE_NAME)
        _sub(node, OAI_NS, "baseURL", self.base_url)
        _sub(node, OAI_NS, "protocolVersion", "2.0")
        _sub(
            node,
            OAI_NS,
            "adminEmail",
            getattr(
                settings,
                "FEDERATION_ADMIN_EMAIL",
                settings.SERVER_EMAIL.split("<")[-1].strip(">") or "admin@techex.local",
            ),
        )
        first = ChangeEntry.objects.order_by("at").values_list("at", flat=True).first()
        _sub(node, OAI_NS, "earliestDatestamp", _stamp(first) if first else "2026-01-01T00:00:00Z")
        _sub(node, OAI_NS, "deletedRecord", "persistent")
        _sub(node, OAI_NS, "granularity", "YYYY-MM-DDThh:mm:ssZ")

    def list_metadata_formats(self, root, args) -> None:
        if "identifier" in args:
            ref = _ref_of(args["identifier"])
            if not ChangeEntry.objects.filter(ref=ref).exists():
                raise OAIError("idDoesNotExist", f"Unknown identifier {args['identifier']}")
        node = _sub(root, OAI_NS, "ListMetadataFormats")
        for prefix, (namespace, schema) in FORMATS.items():
            fmt = _sub(node, OAI_NS, "metadataFormat")
            _sub(fmt, OAI_NS, "metadataPrefix", prefix)
            _sub(fmt, OAI_NS, "schema", schema or self.schema_url)
            _sub(fmt, OAI_NS, "metadataNamespace", namespace)

    def list_sets(self, root, args) -> None:
        from listings.models import ScienceField

        if "resumptionToken" in args:
            raise OAIError("badResumptionToken", "ListSets is answered in one response")
        node = _sub(root, OAI_NS, "ListSets")
        for code, name in (("offer", "Chào bán công nghệ"), ("request", "Nhu cầu công nghệ")):
            item = _sub(node, OAI_NS, "set")
            _sub(item, OAI_NS, "setSpec", f"kind:{code}")
            _sub(item, OAI_NS, "setName", name)
        for field in ScienceField.objects.order_by("code").only("code", "name"):
            item = _sub(node, OAI_NS, "set")
            _sub(item, OAI_NS, "setSpec", f"field:{field.code}")
            _sub(item, OAI_NS, "setName", field.name)

    def _selection(self, args) -> tuple[dict, int]:
        if "resumptionToken" in args:
            if set(args) != {"resumptionToken"}:
                raise OAIError("badArgument", "resumptionToken is an exclusive argument")
            token = _decode_token(args["resumptionToken"])
            return token, token["c"]
        if "metadataPrefix" not in args:
            raise OAIError("badArgument", "metadataPrefix is required")
        selection = {k: args[k] for k in ("metadataPrefix", "from", "until", "set") if k in args}
        return selection, 0

    def _entries(self, selection: dict, after: int):
        prefix = selection.get("metadataPrefix")
        if prefix not in FORMATS:
            raise OAIError("cannotDisseminateFormat", f"Unknown metadataPrefix {prefix!r}")
        qs = latest_entries().filter(seq__gt=after)
        if "from" in selection:
            qs = qs.filter(at__gte=_parse_date(selection["from"], end=False))
        if "until" in selection:
            qs = qs.filter(at__lte=_parse_date(selection["until"], end=True))
        if "from" in selection and "until" in selection and len(selection["from"]) != len(selection["until"]):
            raise OAIError("badArgument", "from and until must have the same granularity")
        spec = selection.get("set")
        if spec:
            kind, _, value = spec.partition(":")
            if kind == "kind" and value in ("offer", "request"):
                qs = qs.filter(kind=value)
            elif kind == "field" and value:
                qs = qs.filter(field=value) | qs.filter(field__startswith=f"{value}.")
            else:
                raise OAIError("badArgument", f"Unknown set {spec!r}")
        return qs.order_by("seq")

    def _list(self, root, args, verb: str) -> None:
        selection, after = self._selection(args)
        entries = list(self._entries(selection, after)[: PAGE + 1])
        if not entries and after == 0:
            raise OAIError("noRecordsMatch", "No records match the request")
        more = len(entries) > PAGE
        entries = entries[:PAGE]
        node = _sub(root, OAI_NS, verb)
        for entry in entries:
            if verb == "ListIdentifiers":
                self.header(node, entry)
            else:
                self.record(node, entry, selection["metadataPrefix"])
        if more:
            token = _encode_token({**selection, "c": entries[-1].seq})
            _sub(node, OAI_NS, "resumptionToken", token)
        elif after:
            _sub(node, OAI_NS, "resumptionToken", "")  # the last page of a list: an empty token

    def list_identifiers(self, root, args) -> None:
        self._list(root, args, "ListIdentifiers")

    def list_records(self, root, args) -> None:
        self._list(root, args, "ListRecords")

    def get_record(self, root, args) -> None:
        if "identifier" not in args or "metadataPrefix" not in args:
            raise OAIError("badArgument", "identifier and metadataPrefix are required")
        if args["metadataPrefix"] not in FORMATS:
            raise OAIError("cannotDisseminateFormat", f"Unknown metadataPrefix {args['metadataPrefix']!r}")
        ref = _ref_of(args["identifier"])
        entry = ChangeEntry.objects.filter(ref=ref).order_by("-seq").first()
        if entry is None:
            raise OAIError("idDoesNotExist", f"Unknown identifier {args['identifier']}")
        self.record(_sub(root, OAI_NS, "GetRecord"), entry, args["metadataPrefix"])


HANDLERS = {
    "Identify": Harvest.identify,
    "ListMetadataFormats": Harvest.list_metadata_formats,
    "ListSets": Harvest.list_sets,
    "ListIdentifiers": Harvest.list_identifiers,
    "ListRecords": Harvest.list_records,
    "GetRecord": Harvest.get_record,
}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def endpoint(request):
    params = request.GET if request.method == "GET" else request.POST
    root = ET.Element(_q(OAI_NS, "OAI-PMH"))
    root.set(_q(XSI_NS, "schemaLocation"), f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    _sub(root, OAI_NS, "responseDate", _stamp(dt.datetime.now(dt.UTC)))
    request_el = _sub(root, OAI_NS, "request", request.build_absolute_uri(request.path))
    try:
        repeated = [k for k in params if len(params.getlist(k)) > 1]
        if repeated:
            raise OAIError("badArgument", f"Repeated argument: {', '.join(repeated)}")
        args = {k: params[k] for k in params}
        verb = args.pop("verb", None)
        if verb not in VERBS:
            raise OAIError("badVerb", "Missing or illegal verb")
        unknown = set(args) - VERBS[verb]
        if unknown:
            raise OAIError("badArgument", f"Illegal argument(s): {', '.join(sorted(unknown))}")
        request_el.set("verb", verb)
        for key, value in args.items():
            request_el.set(key, value)
        HANDLERS[verb](Harvest(request), root, args)
    except OAIError as exc:
        if exc.code in ("badVerb", "badArgument"):
            request_el.attrib = {}
        _sub(root, OAI_NS, "error", exc.message, code=exc.code)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


def techex_xsd(request):
    from pathlib import Path

    path = Path(__file__).parent / "schema" / "techex-1.xsd"
    return HttpResponse(path.read_bytes(), content_type="application/xml; charset=utf-8")
