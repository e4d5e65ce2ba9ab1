"""OAI-PMH 2.0 at /oai: protocol errors, formats and sets, and a real harvester (Sickle)."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from listings.tests.factories import ListingFactory, RequestListingFactory
from regional_network import oai
from regional_network.changelog import changelog_record

NS = {"o": oai.OAI_NS, "dc": oai.DC_NS, "t": oai.TECHEX_NS}


def make_log(n_live=5, n_gone=2):
    live = [ListingFactory(published=True, search_index=False) for _ in range(n_live)]
    live.append(RequestListingFactory(published=True, search_index=False))
    gone = [ListingFactory(published=True, search_index=False) for _ in range(n_gone)]
    for listing in [*live, *gone]:
        changelog_record(listing_id=listing.pk)
    for listing in gone:
        listing.state, listing.version = "unpublished", 2
        listing.save()
        changelog_record(listing_id=listing.pk)
    return live, gone


def get(client, **params):
    response = client.get("/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def error_code(root):
    element = root.find("o:error", NS)
    return element.get("code") if element is not None else None


@pytest.mark.django_db
class TestProtocol:
    def test_identify(self, client):
        root = get(client, verb="Identify")
        assert root.find("o:Identify/o:deletedRecord", NS).text == "persistent"
        assert root.find("o:Identify/o:granularity", NS).text == "YYYY-MM-DDThh:mm:ssZ"
        assert root.find("o:Identify/o:protocolVersion", NS).text == "2.0"

    def test_errors(self, client):
        make_log(1, 0)
        assert error_code(get(client, verb="Nope")) == "badVerb"
        assert error_code(get(client)) == "badVerb"
        assert error_code(get(client, verb="ListRecords")) == "badArgument"
        assert error_code(get(client, verb="ListRecords", metadataPrefix="oai_dc", foo="1")) == "badArgument"
        assert error_code(get(client, verb="ListRecords", metadataPrefix="marc")) == "cannotDisseminateFormat"
        assert error_code(get(client, verb="ListRecords", resumptionToken="garbage!")) == "badResumptionToken"
        assert error_code(get(client, verb="GetRecord", identifier="oai:x:y", metadataPrefix="oai_dc")) == (
            "idDoesNotExist"
        )
        assert error_code(get(client, verb="ListRecords", metadataPrefix="oai_dc", set="field:9.99")) == (
            "noRecordsMatch"
        )
        assert error_code(
            get(client, verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2026-13-01"})
        ) == ("badArgument")
        assert error_code(
            get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2000-01-01")
        ) == ("noRecordsMatch")

    def test_formats_and_sets(self, client):
        live, _gone = make_log(1, 0)
        prefixes = [
            e.text for e in get(client, verb="ListMetadataFormats").iterfind(".//o:metadataPrefix", NS)
        ]
        assert prefixes == ["oai_dc", "techex"]
        specs = [e.text for e in get(client, verb="ListSets").iterfind(".//o:setSpec", NS)]
        assert {"kind:offer", "kind:request", "field:2", "field:2.07"} <= set(specs)
        root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="field:2")
        assert len(root.findall(".//o:header", NS)) == 2

    def test_get_record_techex_validates_against_the_published_schema(self, client):
        from lxml import etree

        live, gone = make_log(1, 1)
        identifier = oai.oai_identifier(live[0].ref)
        root = get(client, verb="GetRecord", identifier=identifier, metadataPrefix="techex")
        record = root.find(".//t:record", NS)
        assert record.find("t:ref", NS).text == live[0].ref
        xsd = client.get("/oai/techex-1.xsd")
        schema = etree.XMLSchema(etree.fromstring(xsd.content))
        schema.assertValid(etree.fromstring(ET.tostring(record)))
        dc = get(client, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
        assert dc.find(".//dc:title", NS).text == live[0].title_vi
        deleted = get(
            client, verb="GetRecord", identifier=oai.oai_identifier(gone[0].ref), metadataPrefix="oai_dc"
        )
        assert deleted.find(".//o:header", NS).get("status") == "deleted"
        assert deleted.find(".//o:metadata", NS) is None
        assert Path(oai.__file__).with_name("schema").joinpath("techex-1.xsd").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sickle_harvests_everything_through_resumption_tokens(live_server, monkeypatch):
    from sickle import Sickle

    monkeypatch.setattr(oai, "PAGE", 2)
    live, gone = make_log(5, 2)
    sickle = Sickle(live_server.url + "/oai", max_retries=0, timeout=10)
    assert sickle.Identify().deletedRecord == "persistent"
    records = list(sickle.ListRecords(metadataPrefix="techex", ignore_deleted=False))
    assert len(records) == len(live) + len(gone)  # 8 items → 4 pages through tokens
    deleted = {r.header.identifier for r in records if r.header.deleted}
    assert deleted == {oai.oai_identifier(x.ref) for x in gone}
    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False))
    assert len(headers) == 8
    dc = list(sickle.ListRecords(metadataPrefix="oai_dc", set="kind:request"))
    assert [r.metadata["title"][0] for r in dc] == [live[-1].title_vi]
