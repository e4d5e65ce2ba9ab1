# ruff: noqa: S311 - deterministic synthetic data, not cryptography
"""Search benchmark (issue #5): ``make bench-search`` or, on a THROWAWAY database only::

    SQLITE_PATH=/tmp/x/bench.sqlite3 TECHEX_VAR_DIR=/tmp/x python manage.py migrate -v0
    SQLITE_PATH=/tmp/x/bench.sqlite3 TECHEX_VAR_DIR=/tmp/x python manage.py bench_search [--n 20000]

``make bench-search-postgresql`` runs it on a throwaway PostgreSQL server (``scripts/pg-test.sh``) with
``--throwaway-postgresql``; any other database than a fresh SQLite file or that server is refused.

Generates N synthetic published Vietnamese listings (deterministic per ``--seed``), then per backend
prints bulk indexing docs/s, p50/p95 of ``--queries`` faceted queries typed without diacritics (1-3
words, a random filter half of the time) and the Vietnamese recall of 20 unaccented phrase queries.

The database backend caches answers per query and index generation (``database.ResultCache``), so its
queries are timed twice: **cold** (the result cache emptied before every query: all the work) and
**warm** (the same queries again, each answered from the cache; highlights are still made). Real
traffic lies between the two, by how often a query repeats before the index changes. The baselines have
no cache and are timed once (cold).

``osmem`` is the Elasticsearch backend on an osmem-server started here on ``--osmem-port`` (osmem is an
in-memory test server speaking Elasticsearch's REST API: its figures are osmem's, not Elasticsearch's).

Backends: any name of ``listings.search`` (``database``, ``elasticsearch``...) through its
``search(SearchQuery(..., facets=True))`` (the primary one through ``search_listings``), and two
baselines kept here on purpose:

- ``wagtail``: Wagtail's own database search backend (``get_search_backend("default")``, SQLite FTS5
  in ``wagtailsearch``) over a benchmark-only ``index.Indexed`` proxy of ``Listing`` defined at run
  time (Listing itself stays explicitly indexed by our backends, never by Wagtail's signals), with
  Wagtail's ``results.facet()`` on field, trl, province, organization and kind;
- ``orm``: plain Django ``icontains`` over title/summary/keywords plus the same GROUP BYs.
"""

from __future__ import annotations

import logging
import os
import random
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from exchange.core.bench.tools import load_average

BATCH = 1000

# (Vietnamese, English) technology phrases; the Vietnamese ones carry every kind of diacritic and đ.
PHRASES = [
    ("xử lý nước thải", "wastewater treatment"),
    ("năng lượng mặt trời", "solar energy"),
    ("trí tuệ nhân tạo", "artificial intelligence"),
    ("chế phẩm sinh học", "biological product"),
    ("phân bón hữu cơ", "organic fertiliser"),
    ("vật liệu xây dựng", "building material"),
    ("cảm biến độ ẩm", "humidity sensor"),
    ("thiết bị y tế", "medical device"),
    ("nuôi trồng thủy sản", "aquaculture"),
    ("bảo quản sau thu hoạch", "post-harvest preservation"),
    ("chế biến thực phẩm", "food processing"),
    ("công nghệ vi sinh", "microbial technology"),
    ("tự động hóa", "automation"),
    ("robot công nghiệp", "industrial robot"),
    ("internet vạn vật", "internet of things"),
    ("dữ liệu lớn", "big data"),
    ("chuỗi khối", "blockchain"),
    ("pin lưu trữ điện", "battery storage"),
    ("điện gió ngoài khơi", "offshore wind power"),
    ("khí sinh học", "biogas"),
    ("lọc không khí", "air filtration"),
    ("vắc xin thú y", "veterinary vaccine"),
    ("dược liệu quý", "medicinal herbs"),
    ("chiết xuất tinh dầu", "essential oil extraction"),
    ("vật liệu nano", "nanomaterial"),
    ("màng lọc sinh học", "biological membrane filter"),
    ("gạch không nung", "unfired brick"),
    ("nhựa phân hủy sinh học", "biodegradable plastic"),
    ("giống lúa chịu mặn", "salt-tolerant rice variety"),
    ("tưới tiết kiệm nước", "water-saving irrigation"),
    ("nhà kính thông minh", "smart greenhouse"),
    ("truy xuất nguồn gốc", "traceability"),
    ("đô thị thông minh", "smart city"),
    ("xe điện", "electric vehicle"),
    ("y học cổ truyền", "traditional medicine"),
    ("chẩn đoán hình ảnh", "medical imaging"),
    ("kiểm định chất lượng", "quality testing"),
    ("xử lý rác thải nhựa", "plastic waste treatment"),
    ("tái chế phế phẩm nông nghiệp", "agricultural by-product recycling"),
    ("sấy lạnh nông sản", "cold drying of farm produce"),
    ("cấp đông nhanh", "quick freezing"),
    ("mô phỏng số", "numerical simulation"),
    ("in ba chiều", "3D printing"),
    ("tấm quang điện", "photovoltaic panel"),
    ("an toàn thực phẩm", "food safety"),
    ("cải tạo đất nhiễm mặn", "saline soil improvement"),
    ("cơ khí chính xác", "precision engineering"),
    ("thuốc trừ sâu sinh học", "biopesticide"),
    ("chăn nuôi bò sữa", "dairy farming"),
    ("hạt điều rang muối", "salted roasted cashew"),
    ("cà phê đặc sản", "specialty coffee"),
    ("thanh long ruột đỏ", "red dragon fruit"),
    ("tôm thẻ chân trắng", "whiteleg shrimp"),
    ("cá tra phi lê", "pangasius fillet"),
    ("nước mắm truyền thống", "traditional fish sauce"),
    ("mật ong rừng", "wild honey"),
    ("đèn chiếu sáng tiết kiệm", "energy-saving lighting"),
    ("điều khiển từ xa", "remote control"),
    ("phần mềm quản lý", "management software"),
    ("học máy", "machine learning"),
]
PREFIXES = [
    ("Công nghệ", "Technology for"),
    ("Quy trình", "Process for"),
    ("Hệ thống", "System for"),
    ("Thiết bị", "Equipment for"),
    ("Giải pháp", "Solution for"),
    ("Chế phẩm", "Preparation for"),
    ("Mô hình", "Model of"),
    ("Dây chuyền", "Production line for"),
]
CONNECTORS = ["ứng dụng trong", "kết hợp", "phục vụ", "cho", "dùng cho"]
SENTENCES = [
    "Sản phẩm đã được thử nghiệm tại {place} với hiệu quả cao về {a}.",
    "Kết quả nghiên cứu cho thấy {a} giúp giảm chi phí và tăng năng suất đáng kể.",
    "Đơn vị sẵn sàng chuyển giao {a} cho doanh nghiệp có nhu cầu về {b}.",
    "Giải pháp phù hợp với điều kiện khí hậu nhiệt đới ẩm của Việt Nam.",
    "Nhóm tác giả đã đăng ký bảo hộ quyền sở hữu trí tuệ cho {a}.",
    "Cần đối tác đầu tư để thương mại hóa {a} và mở rộng sang {b}.",
]
ORG_KINDS = [
    ("university", "Trường Đại học", "University of"),
    ("research_institute", "Viện", "Institute of"),
    ("enterprise", "Công ty Cổ phần", "Joint Stock Company"),
]
ORG_WORDS = [
    "Bách khoa",
    "Khoa học Tự nhiên",
    "Nông Lâm",
    "Công nghệ Sinh học",
    "Môi trường Đô thị",
    "Điện tử Việt",
    "Thủy sản Miền Nam",
    "Cơ điện tử",
    "Năng lượng Xanh",
    "Y Dược",
    "Hóa học Ứng dụng",
    "Đông Á",
]
BENCH_ORIGIN_PREFIX = "bench"


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Command(BaseCommand):
    help = "Search benchmark on synthetic Vietnamese listings. Run on a throwaway database only."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=20000, help="synthetic listings (default 20000)")
        parser.add_argument("--queries", type=int, default=200, help="timed faceted queries (default 200)")
        parser.add_argument(
            "--backends",
            default="database,wagtail",
            help="comma-separated: listings.search backend names, 'wagtail' and/or 'orm' baselines",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--osmem-port", type=int, default=9300, help="port of the osmem-server started for 'osmem'"
        )
        parser.add_argument(
            "--throwaway-postgresql",
            action="store_true",
            help="allow a PostgreSQL database on 127.0.0.1 (scripts/pg-test.sh's server) holding no listings",
        )

    # --- safety ---------------------------------------------------------------------------------
    def _check_throwaway(self, postgresql: bool):
        from listings.models import Listing

        name = str(connection.settings_dict["NAME"])
        if connection.vendor == "postgresql":
            host = str(connection.settings_dict.get("HOST") or "")
            if not postgresql or host not in ("127.0.0.1", "localhost", "::1"):
                raise CommandError(
                    "bench_search runs on PostgreSQL only with --throwaway-postgresql and a server on "
                    "loopback (use `make bench-search-postgresql`)."
                )
        elif connection.vendor != "sqlite":
            raise CommandError("bench_search runs on a throwaway SQLite or PostgreSQL database only.")
        elif name == str(settings.BASE_DIR / "var" / "db.sqlite3") or name == str(
            settings.VAR_DIR / "db.sqlite3"
        ):
            raise CommandError(
                f"Refusing to use {name}: set SQLITE_PATH to a throwaway file (use `make bench-search`)."
            )
        if Listing.objects.exists():
            raise CommandError(
                f"{name} already holds listings; bench_search needs a fresh migrated database."
            )

    # --- data -----------------------------------------------------------------------------------
    def _generate(self, n: int, rng: random.Random) -> dict[str, set[int]]:
        """Create n published listings; returns Vietnamese phrase → ids of the listings containing it."""
        from exchange.accounts.models import Organization, OrganizationKind
        from exchange.core.models import Province
        from listings.lifecycle import ListingState
        from listings.models import IPRight, IPType, Listing, ListingKind, ScienceField, TransactionType

        provinces = list(Province.objects.order_by("code"))
        fields = list(ScienceField.objects.filter(parent__isnull=False).order_by("code"))
        kinds = {k.code: k for k in OrganizationKind.objects.all()}
        if not provinces or not fields or not kinds:
            raise CommandError(
                "Reference data missing: run `manage.py migrate` on the benchmark database first."
            )
        orgs = []
        for i in range(200):
            code, vi, en = ORG_KINDS[i % len(ORG_KINDS)]
            word = ORG_WORDS[i % len(ORG_WORDS)]
            province = rng.choice(provinces)
            orgs.append(
                Organization(
                    ref=f"bench-org-{i}",
                    name=f"{vi} {word} {province.name} {i}",
                    name_en=f"{en} {word} {i}",
                    short_name=f"BO{i}",
                    kind=kinds.get(code) or next(iter(kinds.values())),
                    province=province,
                )
            )
        orgs = Organization.objects.bulk_create(orgs)
        truth: dict[str, set[int]] = {vi: set() for vi, _ in PHRASES}
        tt_values = [t.value for t in TransactionType]
        ip_values = [t.value for t in IPType]
        now = timezone.now()
        created = 0
        while created < n:
            size = min(BATCH, n - created)
            batch, used = [], []
            for j in range(size):
                idx = created + j
                chosen = rng.sample(PHRASES, 5)
                (a, a_en), (b, b_en), (c, c_en), (d, _), (e, _) = chosen
                prefix, prefix_en = rng.choice(PREFIXES)
                province = rng.choice(provinces)
                kind = ListingKind.OFFER if rng.random() < 0.7 else ListingKind.REQUEST
                fmt = {"place": province.name, "a": a, "b": b}
                summary = " ".join(s.format(**fmt) for s in rng.sample(SENTENCES, 2))
                description = " ".join(
                    [SENTENCES[rng.randrange(len(SENTENCES))].format(place=province.name, a=c, b=d)]
                    + [s.format(place=province.name, a=a, b=e) for s in rng.sample(SENTENCES, 2)]
                )
                price_min = rng.choice([None, 50, 200, 800, 2000, 6000])
                price = {}
                if price_min is not None:
                    price = {"price_min": price_min * 1_000_000, "price_max": price_min * 3 * 1_000_000}
                trl = rng.randint(1, 9) if kind == ListingKind.OFFER else None
                wanted = {}
                if kind == ListingKind.REQUEST:
                    low = rng.randint(3, 7)
                    wanted = {"trl_wanted_min": low, "trl_wanted_max": min(9, low + 2)}
                published = now - timedelta(days=rng.randint(0, 720))
                batch.append(
                    Listing(
                        ref=f"{BENCH_ORIGIN_PREFIX}-{idx}",
                        kind=kind,
                        state=ListingState.PUBLISHED,
                        title_vi=f"{prefix} {a} {rng.choice(CONNECTORS)} {b}",
                        title_en=f"{prefix_en} {a_en} with {b_en}" if rng.random() < 0.5 else "",
                        summary_vi=summary,
                        summary_en=f"{a_en.capitalize()} for {b_en}." if rng.random() < 0.5 else "",
                        description_vi=description,
                        advantages_vi=f"Ưu điểm: chi phí thấp, dễ vận hành, thân thiện môi trường ({c_en}).",
                        field=rng.choice(fields),
                        keywords=[a, b, c],
                        trl=trl,
                        transaction_types=rng.sample(tt_values, rng.randint(1, 3)),
                        price_negotiable=price_min is None,
                        organization=rng.choice(orgs),
                        province=province,
                        anonymous=kind == ListingKind.REQUEST and rng.random() < 0.1,
                        published_at=published,
                        expires_at=now + timedelta(days=365),
                        **price,
                        **wanted,
                    )
                )
                used.append((a, b, c))  # title and keywords always hold these three
            with transaction.atomic():
                rows = Listing.objects.bulk_create(batch)
                IPRight.objects.bulk_create(
                    [IPRight(listing=row, type=rng.choice(ip_values)) for row in rows if rng.random() < 0.6]
                )
            for row, phrases in zip(rows, used, strict=True):
                for phrase in phrases:
                    truth[phrase].add(row.pk)
            created += size
        return truth

    # --- queries --------------------------------------------------------------------------------
    def _queries(self, count: int, rng: random.Random):
        from exchange.core.models import Province
        from listings.models import ScienceField
        from listings.search.text import fold

        provinces = list(Province.objects.order_by("code").values_list("code", flat=True))
        fields = list(
            ScienceField.objects.filter(parent__isnull=False).order_by("code").values_list("code", flat=True)
        )
        out = []
        for _ in range(count):
            words = fold(rng.choice(PHRASES)[0]).split()
            size = min(len(words), rng.randint(1, 3))
            start = rng.randrange(len(words) - size + 1)
            q = " ".join(words[start : start + size])
            flt: dict = {}
            if rng.random() < 0.5:
                which = rng.choice(["kind", "province", "field", "trl"])
                if which == "kind":
                    flt = {"kind": rng.choice(["offer", "request"])}
                elif which == "province":
                    flt = {"province": rng.choice(provinces)}
                elif which == "field":
                    flt = {"field": rng.choice(fields)}
                else:
                    v = rng.randint(1, 9)
                    flt = {"trl_min": v, "trl_max": v}
            out.append((q, flt))
        return out

    # --- wagtail baseline -----------------------------------------------------------------------
    _wagtail_model = None

    @classmethod
    def wagtail_model(cls):
        """A benchmark-only Indexed proxy of Listing (defined once, at run time, never migrated)."""
        if cls._wagtail_model is None:
            from wagtail.search import index

            from listings.models import Listing

            class BenchIndexedListing(index.Indexed, Listing):
                search_fields = [
                    index.SearchField("title_vi", boost=10),
                    index.SearchField("title_en", boost=10),
                    index.SearchField("keywords", boost=6),
                    index.SearchField("summary_vi", boost=3),
                    index.SearchField("summary_en", boost=3),
                    index.SearchField("description_vi"),
                    index.SearchField("advantages_vi"),
                    index.RelatedFields("organization", [index.SearchField("name")]),
                    index.FilterField("state"),
                    index.FilterField("kind"),
                    index.FilterField("province_id"),
                    index.FilterField("field_id"),
                    index.FilterField("trl"),
                    index.FilterField("organization_id"),
                ]

                class Meta:
                    proxy = True
                    app_label = "listings"

            # Wagtail's search app gives every Indexed model an ``index_entries`` relation to its
            # IndexEntry table when the apps are ready (``IndexEntry.add_generic_relations()``); a
            # model defined later has none, and the PostgreSQL backend searches through it (the
            # SQLite one deletes through it). Add it to this proxy the same way, so the baseline
            # is Wagtail's backend exactly as it runs for a model declared in models.py.
            # (Wagtail 8's search is django-modelsearch, whose relation class this is.)
            from modelsearch.abstract_models import TextIDGenericRelation
            from wagtail.search.models import IndexEntry

            TextIDGenericRelation(IndexEntry).contribute_to_class(BenchIndexedListing, "index_entries")
            cls._wagtail_model = BenchIndexedListing
        return cls._wagtail_model

    def _wagtail_index(self) -> int:
        from wagtail.search.backends import get_search_backend

        from listings.lifecycle import ListingState

        model = self.wagtail_model()
        backend = get_search_backend("default")
        qs = model.objects.filter(state=ListingState.PUBLISHED).select_related("organization").order_by("id")
        done, last = 0, 0
        while True:
            objs = list(qs.filter(id__gt=last)[:500])
            if not objs:
                return done
            backend.add_bulk(model, objs)
            done += len(objs)
            last = objs[-1].pk

    def _wagtail_qs(self, flt: dict):
        from exchange.core.models import Province
        from listings.lifecycle import ListingState
        from listings.models import ScienceField

        qs = self.wagtail_model().objects.filter(state=ListingState.PUBLISHED)
        if "kind" in flt:
            qs = qs.filter(kind=flt["kind"])
        if "province" in flt:
            qs = qs.filter(province_id=Province.objects.get(code=flt["province"]).pk)
        if "field" in flt:
            qs = qs.filter(field_id=ScienceField.objects.get(code=flt["field"]).pk)
        if "trl_min" in flt:
            qs = qs.filter(trl=flt["trl_min"])
        return qs

    def _wagtail_search(self, q: str, flt: dict):
        from wagtail.search.backends import get_search_backend

        results = get_search_backend("default").search(q, self._wagtail_qs(flt))
        page = list(results[:20])
        total = results.count()
        facets = {
            name: results.facet(name)
            for name in ("field_id", "trl", "province_id", "organization_id", "kind")
        }
        return total, page, facets

    # --- ORM baseline ---------------------------------------------------------------------------
    def _orm_search(self, q: str, flt: dict):
        from listings.lifecycle import ListingState
        from listings.models import Listing

        qs = Listing.objects.filter(state=ListingState.PUBLISHED)
        for word in q.split():
            qs = qs.filter(
                Q(title_vi__icontains=word)
                | Q(title_en__icontains=word)
                | Q(summary_vi__icontains=word)
                | Q(summary_en__icontains=word)
                | Q(keywords__icontains=word)
            )
        filtered = qs
        if "kind" in flt:
            filtered = filtered.filter(kind=flt["kind"])
        if "province" in flt:
            filtered = filtered.filter(province__code=flt["province"])
        if "field" in flt:
            filtered = filtered.filter(field__code=flt["field"])
        if "trl_min" in flt:
            filtered = filtered.filter(trl=flt["trl_min"])
        page = list(filtered.order_by("-published_at").values_list("id", flat=True)[:20])
        total = filtered.count()
        facets = {
            name: list(filtered.values(name).annotate(c=Count("id")).order_by("-c"))
            for name in ("field__parent__code", "trl", "province__code", "organization__ref", "kind")
        }
        return total, page, facets

    # --- running --------------------------------------------------------------------------------
    # --- osmem ----------------------------------------------------------------------------------
    _osmem = None

    def _start_osmem(self, port: int) -> None:
        """Point the Elasticsearch backend at an osmem-server of its own on 127.0.0.1:``port``."""
        try:
            from osmem_server import OsmemServer
        except ImportError as exc:
            raise CommandError(f"'osmem' needs osmem-server (pip install -e '.[test]'): {exc}") from exc
        from listings.search.base import reset_backends

        self._osmem = OsmemServer.start(freeze=False, japanese=False, addr=f"127.0.0.1:{port}")
        settings.ELASTICSEARCH_URL = self._osmem.url
        settings.ELASTICSEARCH_INDEX = "bench-listings"
        # osmem's quirks (media types) are handled by the test suite's node class; osmem is a test server.
        settings.ELASTICSEARCH_NODE_CLASS = "listings.tests.search.osmem.OsmemNode"
        settings.ELASTICSEARCH_REFRESH = False
        settings.ELASTICSEARCH_TIMEOUT = 30
        settings.ELASTICSEARCH_REPLICAS = 0
        reset_backends()

    @staticmethod
    def _backend_name(name: str) -> str:
        return "elasticsearch" if name == "osmem" else name

    def _run_one(self, name: str, q: str, flt: dict):
        from listings.search import SearchQuery, search_listings
        from listings.search.base import get_backend, primary_backend_name

        if name == "wagtail":
            return self._wagtail_search(q, flt)
        if name == "orm":
            return self._orm_search(q, flt)
        query = SearchQuery(q=q, facets=True, **flt)
        if name == primary_backend_name():
            return search_listings(query)
        return get_backend(self._backend_name(name)).search(query.normalized())

    def _time(self, name: str, queries, *, cold: bool) -> list[float]:
        """Milliseconds per query; ``cold`` empties the result cache before each one (untimed)."""
        from django.core.cache import cache

        times = []
        for q, flt in queries:
            if cold:
                cache.clear()
            t0 = time.perf_counter()
            self._run_one(name, q, flt)
            times.append((time.perf_counter() - t0) * 1000)
        return times

    def _matches(self, name: str, q: str) -> set[int]:
        """Every listing a backend returns as a match (all words) for ``q``, for recall."""
        from listings.lifecycle import ListingState
        from listings.models import Listing
        from listings.search.base import get_backend

        if name == "wagtail":
            from wagtail.search.backends import get_search_backend

            qs = self.wagtail_model().objects.filter(state=ListingState.PUBLISHED)
            return {obj.pk for obj in get_search_backend("default").search(q, qs, operator="and")}
        if name == "orm":
            qs = Listing.objects.filter(state=ListingState.PUBLISHED)
            text = (
                Q(title_vi__icontains=q)
                | Q(title_en__icontains=q)
                | Q(summary_vi__icontains=q)
                | Q(summary_en__icontains=q)
                | Q(keywords__icontains=q)
            )
            return set(qs.filter(text).values_list("id", flat=True))
        if name == "database":
            from listings.search import filter_matching

            qs = Listing.objects.filter(state=ListingState.PUBLISHED)
            return set(filter_matching(qs, q, lambda qs, q: qs.none()).values_list("id", flat=True))
        # Other backends: page through the public interface (full and partial matches).
        from listings.search import SearchQuery

        found, page = set(), 1
        backend = get_backend(self._backend_name(name))
        while True:
            result = backend.search(SearchQuery(q=q, page=page, page_size=100).normalized())
            found.update(result.ids)
            if not result.ids or page * 100 >= result.total:
                return found
            page += 1

    def handle(self, *args, **options):
        from listings.search.base import get_backend
        from listings.search.text import fold

        self._check_throwaway(options["throwaway_postgresql"])
        n, nq, seed = options["n"], options["queries"], options["seed"]
        names = [b.strip() for b in options["backends"].split(",") if b.strip()]
        rng = random.Random(seed)
        out = self.stdout.write
        if connection.vendor == "sqlite":
            engine = f"SQLite {connection.Database.sqlite_version}"
        else:
            engine = f"PostgreSQL {connection.cursor().connection.info.server_version}"
        out(f"{engine}, database {connection.settings_dict['NAME']}; {os.cpu_count()} CPUs; {_load()}")
        if "osmem" in names:
            logging.getLogger("elastic_transport").setLevel(logging.WARNING)  # no line per request
            self._start_osmem(options["osmem_port"])
            out(f"osmem-server at {self._osmem.url} (an in-memory test server, not Elasticsearch)")
        try:
            self._run(names, n, nq, seed, rng, out, get_backend, fold)
        finally:
            if self._osmem is not None:
                self._osmem.close()

    def _run(self, names, n, nq, seed, rng, out, get_backend, fold):
        started = time.perf_counter()
        truth = self._generate(n, rng)
        out(f"generated {n} listings in {time.perf_counter() - started:.1f} s (seed {seed})")

        queries = self._queries(nq, random.Random(seed + 1))
        recall_phrases = random.Random(seed + 2).sample([vi for vi, _ in PHRASES], 20)

        summary = []
        for name in names:
            out(f"\n== {name} == ({_load()})")
            started = time.perf_counter()
            if name == "wagtail":
                docs = self._wagtail_index()
            elif name == "orm":
                docs = 0
            else:
                docs = get_backend(self._backend_name(name)).rebuild()
            elapsed = time.perf_counter() - started
            rate = docs / elapsed if docs else 0.0
            out(
                f"indexing: {docs} docs in {elapsed:.1f} s = {rate:,.0f} docs/s" if docs else "indexing: none"
            )
            for q, flt in queries[:5]:  # warm-up, not timed
                self._run_one(name, q, flt)
            cached = name == "database"  # the one backend with a result cache
            cold = self._time(name, queries, cold=True)
            c50, c95 = _percentile(cold, 0.5), _percentile(cold, 0.95)
            label = "cold (result cache emptied before each)" if cached else "no cache"
            out(
                f"faceted queries, {label}: {len(cold)}, "
                f"p50 {c50:.1f} ms, p95 {c95:.1f} ms, max {max(cold):.1f} ms"
            )
            w50 = w95 = None
            if cached:
                self._time(name, queries, cold=False)  # fill the cache with every query (untimed)
                warm = self._time(name, queries, cold=False)
                w50, w95 = _percentile(warm, 0.5), _percentile(warm, 0.95)
                out(
                    f"faceted queries, warm (same queries again, from the cache): {len(warm)}, "
                    f"p50 {w50:.1f} ms, p95 {w95:.1f} ms, max {max(warm):.1f} ms"
                )
            truth_total = found_total = 0
            for phrase in recall_phrases:
                want = truth[phrase]
                found = self._matches(name, fold(phrase))
                truth_total += len(want)
                found_total += len(want & found)
            recall = found_total / truth_total if truth_total else 0.0
            out(f"Vietnamese recall (20 unaccented phrases): {found_total}/{truth_total} = {recall:.1%}")
            out(f"({_load()})")
            summary.append((name, rate, c50, c95, w50, w95, recall))

        out(f"\n{len(queries)} faceted queries per backend at {n} listings; {_load()}")
        out("| backend | indexing docs/s | cold p50 ms | cold p95 ms | warm p50 ms | warm p95 ms | recall |")
        out("|---|---:|---:|---:|---:|---:|---:|")
        for name, rate, c50, c95, w50, w95, recall in summary:
            label = {"wagtail": "wagtail (baseline)", "osmem": "osmem (Elasticsearch backend on osmem)"}.get(
                name, name
            )
            warm = f"{w50:.1f} | {w95:.1f}" if w50 is not None else "– | –"
            out(f"| {label} | {rate:,.0f} | {c50:.1f} | {c95:.1f} | {warm} | {recall:.1%} |")


def _load() -> str:
    return f"load average {load_average()}"
