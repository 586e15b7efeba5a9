"""TAXII: serving a 100,000-object collection, 1,000 per page, over HTTP on loopback.

Setup (not timed), per backend (SQLite, then PostgreSQL when reachable): a fresh node, one
collection of 100,000 indicators (CLEAR, GREEN and AMBER, all releasable to the reader) put in
through the import pipeline, a peer with a read agreement up to AMBER, and ``comity serve`` in
its own process. Timed, alternately, on the same data:

* ours: a client (httpx, keep-alive, in this process) pages through the whole collection as
  that peer (``Authorization: Bearer``), ``limit=1000`` and ``next`` — HTTP, authentication,
  the access and TLP checks, the query, the envelope; the client's parse of each envelope
  (orjson, for ``more`` and ``next``) is reported apart and not counted;
* the floor (anchor a): the same query (:func:`comity.taxii.queries.page_query`, same TLP
  condition, same ``match[version]=last``, same key-set position) run straight on the database
  in this process, a transaction per page, reading each object's JSON — no HTTP.

Reported per backend: objects per second, p50/p99 page latency, first page against the
slowest later one. Goal: ours >= 0.3 of the floor's throughput, and no page slower than the
first. Pages of equal cost cannot all be faster than one of them (the floor's are not either:
a busy machine delays some), so the second part is judged by the trend: the latency of each
page position (median over the rounds) fitted by a line must grow from the first page to the
last by less than a tenth of the first page (``depth_growth_ms``). The literal count of later
pages slower than the first is reported too.

Anchor b: the OASIS reference server ``medallion`` (memory backend, its own process) with a
5,000-object collection of the same objects: the time of the first 1,000-object page, capped
at 300 s (``BENCH_MEDALLION_CAP_S`` changes the cap).

    .venv/bin/python bench/bench_taxii.py            # 100,000 objects, 3 rounds per backend
    .venv/bin/python bench/bench_taxii.py --quick    # 2,000 objects, 100 per page, 1 round
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

import _common as c

NAME = "taxii"
TITLE = "TAXII: 100,000 objects paged 1,000 at a time over HTTP vs the same query without HTTP"
GOAL_RATIO = 0.3
DEPTH_TOLERANCE = 0.1
"""Growth from the first page to the last (by the trend) allowed, as a share of the first."""
PG_URL = os.environ.get(
    "COMITY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TAXII = "application/taxii+json;version=2.1"
TLP_IDS = [
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",  # clear
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",  # green
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",  # amber
]
IMPORT_CHUNK = 10_000
STARTUP_S = 60.0


def indicators(count: int) -> list[dict[str, Any]]:
    """``count`` indicators of about 600 bytes each, deterministic ids, mixed TLP."""
    objects = []
    for i in range(count):
        stamp = f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000Z"
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.UUID(int=i + 1, version=4)}",
                "created": stamp,
                "modified": stamp,
                "name": f"Fraud call-centre infrastructure {i}",
                "description": "Domain used by a fake technical-support call centre "
                "to defraud senior citizens; reported by several victims.",
                "indicator_types": ["malicious-activity"],
                "pattern": f"[domain-name:value = 'support-{i}.example']",
                "pattern_type": "stix",
                "valid_from": stamp,
                "labels": ["fraud", "call-centre"],
                "object_marking_refs": [TLP_IDS[i % 3]],
            }
        )
    return objects


@dataclass
class Node:
    """A node served for the benchmark."""

    backend: str
    ctx: Any
    env: dict[str, str]
    url: str
    proc: subprocess.Popen[bytes]
    collection: str
    collection_id: Any
    token: str
    peer_id: Any
    peer_code: str
    schema: str | None


def pg_available() -> str | None:
    """Why PostgreSQL cannot be used, or ``None``."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL unreachable at {PG_URL}: {type(exc).__name__}"
    return None


def pg_schema(action: str, schema: str) -> None:
    """Create or drop a schema for the benchmark node."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        if action == "create":
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        else:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build(backend: str, count: int) -> Node:
    """A fresh node holding ``count`` objects, a reading peer, served in a subprocess."""
    from comity.context import NodeContext
    from comity.core.settings import load_settings
    from comity.federation.services import add_peer
    from comity.identity.services import init_node, resolve_actor
    from comity.intel.correlation import CorrelationPolicy
    from comity.intel.importing import ImportRequest, import_data
    from comity.intel.services import create_collection, find_collection, share

    home = c.fresh_home(f"taxii-{backend}")
    env = c.cli_env(home)
    schema = None
    database_url = None
    if backend == "postgresql":
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        pg_schema("create", schema)
        sep = "&" if "?" in PG_URL else "?"
        database_url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
        env["COMITY_DATABASE_URL"] = database_url
    ctx = NodeContext(load_settings(home=home, database_url=database_url))
    init_node(ctx, agency="Benchmark Agency", code="BEN", country="IN")
    objects = indicators(count)
    with ctx.transaction() as session:
        actor = resolve_actor(session, None)
        create_collection(session, actor, "fraud-infra")
        creds = add_peer(session, actor, code="PEER", agency="Reading agency", country="US")
        share(session, actor, "fraud-infra", "PEER", read=True, write=False, max_tlp="amber")
    for start in range(0, count, IMPORT_CHUNK):
        chunk = objects[start : start + IMPORT_CHUNK]
        data = orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": chunk})
        with ctx.transaction() as session:
            import_data(
                session,
                resolve_actor(session, None),
                data,
                ImportRequest(collection="fraud-infra", source="bench.json", format="stix"),
                policy=CorrelationPolicy.for_settings(ctx.settings),
            )
    with ctx.transaction() as session:
        collection = find_collection(session, "fraud-infra")
        from comity.federation.services import get_peer

        peer = get_peer(session, "PEER")
        collection_id, peer_id = collection.id, peer.id
    port = free_port()
    proc = subprocess.Popen(
        [*c.cli(home, "serve", "--port", str(port), "--log-level", "warning")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/openapi.json", proc)
    return Node(
        backend,
        ctx,
        env,
        url,
        proc,
        "fraud-infra",
        collection_id,
        creds["credentials"]["token"],
        peer_id,
        "PEER",
        schema,
    )


def wait_until_up(url: str, proc: subprocess.Popen[bytes], auth: Any = None) -> None:
    """Poll ``url`` until it answers (any status) or the process dies."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited {proc.returncode}")
        try:
            httpx.get(url, timeout=5, auth=auth)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"no answer from {url}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server process (bounded)."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


@dataclass
class Run:
    """One pass over the whole collection."""

    timing: c.Timing
    objects: int
    pages: list[float]
    parse_s: float = 0.0

    @property
    def rate(self) -> float:
        """Objects per second."""
        return self.objects / self.timing.seconds


def over_http(node: Node, limit: int, expected: int) -> Run:
    """Page through the collection over HTTP as the peer.

    A page's time runs from the request to the last byte of the answer; the client then parses
    the envelope (orjson) for ``more`` and ``next``, which is reported apart (``parse_s``) and
    not counted, as the floor does not parse the objects' JSON either.
    """
    url = f"{node.url}/taxii2/comity/collections/{node.collection}/objects/"
    headers = {"Authorization": f"Bearer {node.token}", "Accept": TAXII}
    pages: list[float] = []
    parse = 0.0
    received = 0
    with httpx.Client(headers=headers, timeout=120) as client, c.timed() as box:
        params: dict[str, Any] = {"limit": limit}
        while True:
            t0 = time.perf_counter()
            response = client.get(url, params=params)
            t1 = time.perf_counter()
            envelope = orjson.loads(response.content)
            parse += time.perf_counter() - t1
            pages.append(t1 - t0)
            if response.status_code != 200:
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")
            received += len(envelope.get("objects", ()))
            if not envelope.get("more"):
                break
            params = {"limit": limit, "next": envelope["next"]}
    if received != expected:
        raise SystemExit(f"over HTTP: {received} objects, expected {expected}")
    whole = box[0]
    timing = c.Timing(whole.seconds - parse, whole.machine_cpu, whole.own_cpu)
    return Run(timing, received, pages, parse)


def straight_from_db(node: Node, limit: int, expected: int) -> Run:
    """The same query and paging, on the database, without HTTP (the floor)."""
    from comity.intel.policy import Recipient
    from comity.taxii.filters import Endpoint, Filters
    from comity.taxii.queries import page_query, page_rows, visible

    recipient = Recipient.peer(node.peer_id, node.peer_code, "amber")
    filters = Filters(Endpoint.OBJECTS, limit=limit)
    pages: list[float] = []
    received = 0
    after = -1
    with c.timed() as box:
        while True:
            t0 = time.perf_counter()
            with node.ctx.transaction() as session:
                query = page_query(
                    node.collection_id, visible(recipient), filters, after_us=after, limit=limit
                )
                rows = page_rows(session, query)
            bodies = [row[1] for row in rows[:limit]]
            pages.append(time.perf_counter() - t0)
            received += len(bodies)
            if len(rows) <= limit:
                break
            after = rows[limit - 1][0]
    if received != expected:
        raise SystemExit(f"from the database: {received} objects, expected {expected}")
    return Run(box[0], received, pages)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def depth_growth(runs: list[Run]) -> float:
    """How much slower the last page is than the first, by the trend over all pages (seconds).

    Each page position's latency is the median over the rounds; a least-squares line through
    them gives the growth from the first position to the last. Key-set paging keeps it near
    zero; offset paging (or a full scan per page) makes it grow with the collection. The trend,
    unlike any single page, is not moved by one page that a busy machine delayed.
    """
    positions = min(len(r.pages) for r in runs)
    if positions < 2:
        return 0.0
    ys = [c.median([r.pages[i] for r in runs]) for i in range(positions)]
    mean_x, mean_y = (positions - 1) / 2, sum(ys) / positions
    spread = sum((x - mean_x) ** 2 for x in range(positions))
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(ys)) / spread
    return slope * (positions - 1)


def summarize(runs: list[Run]) -> dict[str, Any]:
    """Medians over the rounds: rate, p50/p99 page latency, first and slowest later page."""
    return {
        "objects_per_s": round(c.median([r.rate for r in runs])),
        "seconds": round(c.median([r.timing.seconds for r in runs]), 3),
        "p50_page_ms": round(c.median([percentile(r.pages, 0.5) for r in runs]) * 1000, 2),
        "p99_page_ms": round(c.median([percentile(r.pages, 0.99) for r in runs]) * 1000, 2),
        "first_page_ms": round(c.median([r.pages[0] for r in runs]) * 1000, 2),
        "slowest_later_page_ms": round(
            c.median([max(r.pages[1:], default=0.0) for r in runs]) * 1000, 2
        ),
        "pages_slower_than_first": [sum(p > r.pages[0] for p in r.pages[1:]) for r in runs],
        "first_10_pages_median_ms": round(
            c.median([c.median(r.pages[:10]) for r in runs]) * 1000, 2
        ),
        "last_10_pages_median_ms": round(
            c.median([c.median(r.pages[-10:]) for r in runs]) * 1000, 2
        ),
        "depth_growth_ms": round(depth_growth(runs) * 1000, 2),
        "client_parse_s_not_counted": round(c.median([r.parse_s for r in runs]), 3),
        "others_cpu_s": [round(r.timing.others_cpu, 1) for r in runs],
    }


def medallion(count: int, limit: int, cap: float) -> dict[str, Any]:
    """The reference server's first page of ``limit`` from ``count`` objects (capped)."""
    folder = c.OUT / "medallion"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    objects = indicators(count)
    collection_id = str(uuid.uuid4())
    manifest = [
        {
            "id": o["id"],
            "date_added": f"2026-11-30T00:00:{i // 1_000_000:02d}.{i % 1_000_000:06d}Z",
            "version": o["modified"],
            "media_type": "application/stix+json;version=2.1",
        }
        for i, o in enumerate(objects)
    ]
    data = {
        "/discovery": {
            "title": "medallion",
            "default": "/api1/",
            "api_roots": ["/api1/"],
        },
        "api1": {
            "information": {
                "title": "api1",
                "versions": [TAXII],
                "max_content_length": 1 << 30,
            },
            "status": [],
            "collections": [
                {
                    "id": collection_id,
                    "title": "fraud-infra",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": objects,
                    "manifest": manifest,
                }
            ],
        },
    }
    (folder / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(folder / "data.json"),
        },
        "users": {"bench": "bench-password"},
        "taxii": {"max_page_size": limit},
    }
    (folder / "config.json").write_text(json.dumps(config))
    port = free_port()
    script = Path(sys.executable).with_name("medallion")
    proc = subprocess.Popen(
        [str(script), "--host", "127.0.0.1", "--port", str(port), str(folder / "config.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    auth = ("bench", "bench-password")
    try:
        wait_until_up(f"http://127.0.0.1:{port}/taxii2/", proc, auth)
        url = f"http://127.0.0.1:{port}/api1/collections/{collection_id}/objects/"
        t0 = time.perf_counter()
        try:
            response = httpx.get(
                url, params={"limit": limit}, headers={"Accept": TAXII}, auth=auth, timeout=cap
            )
        except httpx.TimeoutException:
            return {"objects": count, "limit": limit, "first_page_s": None, "capped_at_s": cap}
        seconds = time.perf_counter() - t0
        received = len(response.json().get("objects", []))
        if response.status_code != 200 or received != limit:
            raise SystemExit(f"medallion: HTTP {response.status_code}, {received} objects")
        return {"objects": count, "limit": limit, "first_page_s": round(seconds, 3)}
    finally:
        stop(proc)


def main() -> int:
    args = c.parse_args(__doc__ or NAME, default_repeat=3)
    count, limit = (2_000, 100) if args.quick else (100_000, 1_000)
    m_count, m_limit = (200, 100) if args.quick else (5_000, 1_000)
    cap = float(os.environ.get("BENCH_MEDALLION_CAP_S") or (60 if args.quick else 300))

    backends = ["sqlite"]
    skipped = pg_available()
    if skipped is None:
        backends.append("postgresql")
    else:
        print(f"skipping PostgreSQL: {skipped}")
    figures: dict[str, Any] = {}
    ratios: dict[str, float] = {}
    samples: dict[str, list[float]] = {}
    for backend in backends:
        t0 = time.perf_counter()
        node = build(backend, count)
        print(f"{backend}: built {count:,} objects in {time.perf_counter() - t0:.1f} s", flush=True)
        try:
            mine, floor = alternate_runs(node, args.repeat, limit, count)
        finally:
            stop(node.proc)
            node.ctx.dispose()
            if node.schema:
                pg_schema("drop", node.schema)
            shutil.rmtree(c.OUT / "nodes" / f"taxii-{backend}", ignore_errors=True)
        ours, anchor = summarize(mine), summarize(floor)
        samples[f"{backend}_http_objects_per_s"] = [round(r.rate) for r in mine]
        samples[f"{backend}_floor_objects_per_s"] = [round(r.rate) for r in floor]
        ratio = ours["objects_per_s"] / anchor["objects_per_s"]
        ratios[backend] = ratio
        figures[backend] = {
            "http": ours,
            "floor": anchor,
            "ratio": round(ratio, 3),
            "no_page_slower_than_first": ours["slowest_later_page_ms"] <= ours["first_page_ms"],
            # the same judged without noise: the trend from the first page to the last grows
            # by less than a tenth of the first page's latency
            "no_growth_with_depth": ours["depth_growth_ms"]
            <= DEPTH_TOLERANCE * ours["first_page_ms"],
        }
        print(f"{backend}: {json.dumps(figures[backend])}", flush=True)
    figures["medallion"] = medallion(m_count, m_limit, cap)
    print(f"medallion: {json.dumps(figures['medallion'])}", flush=True)

    main_backend = figures["sqlite"]
    met = all(r >= GOAL_RATIO for r in ratios.values()) and all(
        figures[b]["no_growth_with_depth"] for b in ratios
    )
    result = c.Result(
        name=NAME,
        title=TITLE,
        metric="objects per second (median), SQLite",
        ours=main_backend["http"]["objects_per_s"],
        anchor=main_backend["floor"]["objects_per_s"],
        anchor_name="the same query without HTTP",
        ratio=ratios["sqlite"],
        goal=f">= {GOAL_RATIO} of the floor on every backend; no growth with depth",
        met=None if args.quick else met,
        params={
            "objects": count,
            "limit": limit,
            "rounds": args.repeat,
            "backends": backends,
            "medallion_objects": m_count,
            "medallion_cap_s": cap,
            "postgresql_skipped": skipped,
        },
        extra=figures,
        samples=samples,
    )
    c.save(result, args.quick)
    return 0


def alternate_runs(node: Node, repeat: int, limit: int, count: int) -> tuple[list[Run], list[Run]]:
    """HTTP and the floor alternately, ``repeat`` times each (floor first in odd rounds)."""
    mine: list[Run] = []
    floor: list[Run] = []
    for i in range(repeat):
        if i % 2 == 0:
            floor.append(straight_from_db(node, limit, count))
            mine.append(over_http(node, limit, count))
        else:
            mine.append(over_http(node, limit, count))
            floor.append(straight_from_db(node, limit, count))
    return mine, floor


if __name__ == "__main__":
    sys.exit(main())
