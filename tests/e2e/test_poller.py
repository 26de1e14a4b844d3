# -*- coding: utf-8 -*-
"""The drill poller against real HTTP servers on 127.0.0.1, without the lab.

Each node is a ``ThreadingHTTPServer`` serving ``<root>/current`` of a node-like tree
(``releases/<ver>/`` with a ``current`` link), so that the poller meets what nginx would
serve during a switch. The tests change the tree at moments they choose from what the
poller has already recorded, never after a sleep, so that each window is seen for sure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import hashlib
import http.server
import json
import os
import threading
import time

import pytest

from poller import Poller, check_loopback, manifests
from rml_lab import release

VERSIONS = ("1.3.0", "1.4.0")
COUNT = 40
OLD, NEW = VERSIONS


@pytest.fixture(scope="module")
def bundles():
    return dict((v, release.bundle_files(v, COUNT)) for v in VERSIONS)


@pytest.fixture(scope="module")
def expected():
    return manifests(VERSIONS, COUNT)


def write_tree(folder, files):
    for name, data in files.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)


def node_tree(root, bundles, live=OLD):
    """``<root>/releases/<ver>/...`` for both versions and ``current`` -> ``releases/<live>``."""
    for version, files in bundles.items():
        write_tree(os.path.join(root, "releases", version), files)
    os.symlink(os.path.join("releases", live), os.path.join(root, "current"))
    return root


def switch(root, version):
    """The deploy's switch: a new link under a temporary name renamed over ``current``."""
    tmp = os.path.join(root, ".current.tmp")
    os.symlink(os.path.join("releases", version), tmp)
    os.replace(tmp, os.path.join(root, "current"))


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


class PageGate:
    """Lets a switch land between pages only: the time a page's index and asset are apart.

    An atomic switch can still fall between a page's two requests: a page loaded just
    before it then asks for an asset the new release does not have (the poller reports
    that, as it would a browser's failure). Proving that atomic switches show no bad
    samples needs the switch outside that window, so this handler holds it there.
    """

    def __init__(self):
        self.cond = threading.Condition()
        self.open_pages = 0
        self.switching = False

    def handler(self, directory):
        gate = self

        class Handler(Quiet):
            def do_GET(self):
                page = self.path.split("?")[0].endswith("/index.html")
                if page:
                    with gate.cond:
                        gate.cond.wait_for(lambda: not gate.switching, timeout=5)
                        gate.open_pages += 1
                try:
                    Quiet.do_GET(self)
                finally:
                    if not page:
                        with gate.cond:
                            gate.open_pages = max(gate.open_pages - 1, 0)
                            gate.cond.notify_all()

        return functools.partial(Handler, directory=directory)

    def switch(self, root, version):
        with self.cond:
            self.switching = True
            assert self.cond.wait_for(lambda: self.open_pages == 0, timeout=5), "a page never finished"
            switch(root, version)
            self.switching = False
            self.cond.notify_all()


class Server:
    """A ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a thread; ``close()`` stops it."""

    def __init__(self, handler):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs=dict(poll_interval=0.05))
        self.thread.daemon = True
        self.thread.start()
        self.closed = False

    def close(self):
        if not self.closed:
            self.closed = True
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def until(poller, predicate, what, timeout=8.0):
    """Wait until ``predicate(report)`` holds; fail with the report if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        report = poller.report()
        if predicate(report):
            return report
        assert time.monotonic() < deadline, "never saw %s:\n%s" % (what, poller.format_report(report))
        time.sleep(0.02)


def counts(report, url):
    return report["targets"][url]["counts"]


def seen(poller, url, version, classification="ok"):
    """Samples of ``url`` so far that were ``classification`` and named ``version``."""
    return sum(1 for s in poller.samples(url) if s.version == version and s.classification == classification)


def test_manifests_are_the_bundles_digests(bundles, expected):
    assert sorted(expected) == list(VERSIONS)
    assert expected[OLD]["index.html"] == hashlib.sha256(bundles[OLD]["index.html"]).hexdigest()
    assert expected[OLD]["index.html"] != expected[NEW]["index.html"]
    assert set(expected[NEW]) == set(bundles[NEW])


def test_atomic_switch_shows_only_ok_and_one_change(tmp_path, bundles, expected):
    roots = [node_tree(str(tmp_path / name), bundles) for name in ("node1", "node2")]
    gates = [PageGate(), PageGate()]
    with Server(gates[0].handler(os.path.join(roots[0], "current"))) as one, \
            Server(gates[1].handler(os.path.join(roots[1], "current"))) as two:
        urls = [one.url, two.url]
        with Poller(web=urls, versions=expected, interval=0.02, timeout=2.0, limit_seconds=30) as poller:
            for index, url in enumerate(urls):
                until(poller, lambda r, u=url: seen(poller, u, OLD) >= 5, "%s serving %s" % (url, OLD))
                gates[index].switch(roots[index], NEW)
                until(poller, lambda r, u=url: seen(poller, u, NEW) >= 5, "%s serving %s" % (url, NEW))
        report = poller.report()
    assert not report["running"] and not report["errors"]
    for url in urls:
        entry = report["targets"][url]
        assert entry["samples"] >= 10
        assert entry["counts"]["ok"] == entry["samples"], poller.format_report(report)
        assert entry["versions"] == [OLD, NEW]
        assert [(c["from"], c["to"]) for c in entry["changes"]] == [(OLD, NEW)]
        assert entry["last_version"] == NEW and entry["bad"] == [] and entry["bad_window"] is None
    # node2 switched after node1: the poller's times say so.
    assert report["targets"][urls[0]]["changes"][0]["t"] < report["targets"][urls[1]]["changes"][0]["t"]
    assert report["totals"]["bad"] == 0 and report["totals"]["samples"] == sum(
        report["targets"][u]["samples"] for u in urls)


def test_switch_between_a_pages_requests_is_missing_and_named_a_race(tmp_path, bundles, expected):
    """The window an atomic switch leaves: index.html of 1.3.0, then its asset after the switch."""
    root = node_tree(str(tmp_path / "node"), bundles)
    held, release_asset = threading.Event(), threading.Event()

    class Handler(Quiet):
        def do_GET(self):
            if "/assets/" in self.path and not release_asset.is_set():
                held.set()
                release_asset.wait(5)
            Quiet.do_GET(self)

    with Server(functools.partial(Handler, directory=os.path.join(root, "current"))) as node:
        with Poller(web=[node.url], versions=expected, interval=0.02, limit_seconds=30) as poller:
            assert held.wait(5)
            switch(root, NEW)
            release_asset.set()
            until(poller, lambda r: counts(r, node.url)["ok"] >= 3, "ok samples after the switch")
        report = poller.report()
    entry = report["targets"][node.url]
    assert entry["counts"]["missing"] == 1 and entry["switch_races"] == 1
    assert entry["bad"][0]["statuses"] == [200, 404] and entry["bad"][0]["version"] == OLD
    assert entry["bad"][0]["switched_to"] == NEW and "switched in between" in entry["bad"][0]["detail"]
    assert entry["counts"]["ok"] == entry["samples"] - 1
    assert "1 raced a switch" in poller.format_report(report)


def test_in_place_copy_shows_missing_then_mixed(tmp_path, bundles, expected):
    """A copy into the live folder: the old assets deleted first, then the new files written."""
    live = str(tmp_path / "www")
    write_tree(live, bundles[OLD])
    new_index = bundles[NEW]["index.html"]
    with Server(functools.partial(Quiet, directory=live)) as node:
        with Poller(web=[node.url], versions=expected, interval=0.02, limit_seconds=30) as poller:
            until(poller, lambda r: counts(r, node.url)["ok"] >= 3, "the old release")
            # Step 1: the old version's own assets go; its index.html still references them.
            for name, data in bundles[OLD].items():
                if name != "index.html" and bundles[NEW].get(name) != data:
                    os.remove(os.path.join(live, name))
            until(poller, lambda r: counts(r, node.url)["missing"] >= 2, "missing assets")
            # Step 2: the new assets, then index.html written over in place, cut in its
            # script tag first (past the version meta): what a reader sees mid-write.
            write_tree(live, dict((n, d) for n, d in bundles[NEW].items() if n != "index.html"))
            cut = new_index.index(b"<script") + 12
            with open(os.path.join(live, "index.html"), "r+b") as handle:
                handle.write(new_index[:cut])
                handle.truncate()
                handle.flush()
                until(poller, lambda r: counts(r, node.url)["mixed"] >= 2, "a torn index.html")
                handle.write(new_index[cut:])
            until(poller, lambda r: seen(poller, node.url, NEW) >= 3, "the new release whole")
        report = poller.report()
    entry = report["targets"][node.url]
    assert entry["counts"]["missing"] >= 2 and entry["counts"]["mixed"] >= 2
    assert entry["counts"]["non200"] == 0
    missing = [b for b in entry["bad"] if b["classification"] == "missing"]
    assert missing and missing[0]["statuses"] == [200, 404] and missing[0]["version"] == OLD
    # The two missing pages seen before step 2 were asked again before it: no switch. (A page
    # asked while step 2 began may see the new index.html on its second request.)
    assert missing[0]["switched_to"] is None and len([b for b in missing if not b["switched_to"]]) >= 2
    mixed = [s for s in poller.samples(node.url) if s.classification == "mixed"]
    assert mixed[0].version == NEW and "bytes are not 1.4.0's" in mixed[0].detail
    assert entry["versions"] == [OLD, NEW] and entry["changes"][0]["to"] == NEW
    assert entry["bad_window"][0] < entry["changes"][-1]["t"] + 1
    text = poller.format_report(report)
    assert "missing" in text and "mixed" in text and node.url in text


def test_asset_of_another_version_is_mixed(tmp_path, bundles, expected):
    """index.html of 1.3.0 whose script holds 1.4.0's bytes (a build without hashed names)."""
    live = str(tmp_path / "www")
    files = dict(bundles[OLD])
    old_js = [n for n in files if n.startswith("assets/index-0-")][0]
    new_js = [n for n in bundles[NEW] if n.startswith("assets/index-0-")][0]
    files[old_js] = bundles[NEW][new_js]
    write_tree(live, files)
    with Server(functools.partial(Quiet, directory=live)) as node:
        with Poller(web=[node.url], versions=expected, interval=0.02, limit_seconds=30) as poller:
            until(poller, lambda r: counts(r, node.url)["mixed"] >= 3, "mixed samples")
        entry = poller.report()["targets"][node.url]
    assert entry["counts"]["mixed"] == entry["samples"]
    assert entry["bad"][0]["version"] == OLD and entry["bad"][0]["statuses"] == [200, 200]
    assert "has 1.4.0's bytes, index.html is 1.3.0" in entry["bad"][0]["detail"]


def test_stopped_or_hanging_server_is_non200_with_the_error(tmp_path, bundles, expected):
    live = str(tmp_path / "www")
    write_tree(live, bundles[OLD])
    hang = threading.Event()

    class Hanging(Quiet):
        def do_GET(self):
            hang.wait(5)

    with Server(functools.partial(Hanging, directory=live)) as slow:
        node = Server(functools.partial(Quiet, directory=live))
        try:
            with Poller(web=[node.url], backend=[slow.url + "/api/health"], versions=expected,
                        interval=0.02, timeout=0.3, limit_seconds=30) as poller:
                until(poller, lambda r: counts(r, node.url)["ok"] >= 3, "the node up")
                node.close()
                until(poller, lambda r: counts(r, node.url)["non200"] >= 3
                      and counts(r, slow.url + "/api/health")["non200"] >= 2, "refusals and timeouts")
        finally:
            hang.set()
            node.close()
        report = poller.report()
    entry = report["targets"][node.url]
    assert entry["counts"]["ok"] >= 3 and entry["counts"]["ok"] + entry["counts"]["non200"] == entry["samples"]
    # The first request after the close may meet a reset (a connection the closing socket
    # had queued); the last ones meet a closed port.
    assert all(b["statuses"] == [None, None] and b["version"] is None for b in entry["bad"])
    assert all("/index.html: Connection" in b["detail"] for b in entry["bad"])
    refused = poller.samples(node.url)[-1]
    assert refused.classification == "non200" and "ConnectionRefusedError" in refused.detail
    assert entry["versions"] == [OLD] and entry["changes"] == []
    slow_entry = report["targets"][slow.url + "/api/health"]
    assert slow_entry["counts"]["non200"] == slow_entry["samples"]
    assert slow_entry["bad"][0]["statuses"] == [None] and "timed out" in slow_entry["bad"][0]["detail"]
    assert report["totals"]["non200"] == entry["counts"]["non200"] + slow_entry["counts"]["non200"]


@pytest.mark.parametrize("url", [
    "http://10.0.0.5:8080", "http://192.168.1.10/", "http://example.com/", "http://127.0.0.1.nip.io/",
    "http://0.0.0.0:8080/", "http://[::ffff:10.0.0.1]/", "http://[2001:db8::1]:8000/api/health",
    "ftp://127.0.0.1/", "file:///etc/passwd", "http:///index.html",
])
def test_non_loopback_url_is_refused_before_any_thread(url, expected):
    before = set(threading.enumerate())
    for kwargs in (dict(web=["http://127.0.0.1:1", url]), dict(web=["http://127.0.0.1:1"], backend=[url])):
        with pytest.raises(ValueError):
            Poller(versions=expected, **kwargs)
    with pytest.raises(ValueError):
        check_loopback(url)
    assert set(threading.enumerate()) - before == set()


def test_loopback_urls_are_accepted():
    for url in ("http://127.0.0.1:8080", "http://127.10.20.30/", "http://[::1]:8000/api/health",
                "http://localhost:8080/", "https://127.0.10.5:8443/"):
        assert check_loopback(url) == url


def test_redirect_is_not_followed(expected):
    hits = []

    class Elsewhere(Quiet):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

    with Server(Elsewhere) as other:
        class Redirect(Quiet):
            def do_GET(self):
                self.send_response(302)
                self.send_header("Location", other.url + "/index.html")
                self.end_headers()

        with Server(Redirect) as node:
            with Poller(web=[node.url], versions=expected, interval=0.02, limit_seconds=30) as poller:
                until(poller, lambda r: counts(r, node.url)["non200"] >= 3, "redirects")
    entry = poller.report()["targets"][node.url]
    assert entry["counts"]["non200"] == entry["samples"] and entry["bad"][0]["statuses"] == [302, None]
    assert hits == []


def test_backend_health_sequence(expected):
    phase = {"answer": (200, {"status": "ok", "version": OLD})}

    class Health(Quiet):
        def do_GET(self):
            status, document = phase["answer"]
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with Server(Health) as backend:
        url = backend.url + "/api/health"
        with Poller(backend=[url], interval=0.02, limit_seconds=30) as poller:
            until(poller, lambda r: counts(r, url)["ok"] >= 3, "1.3.0 healthy")
            phase["answer"] = (500, {"status": "error", "detail": "starting"})
            until(poller, lambda r: counts(r, url)["non200"] >= 3, "500s")
            phase["answer"] = (200, {"status": "ok", "version": NEW})
            until(poller, lambda r: seen(poller, url, NEW) >= 3, "1.4.0 healthy")
        report = poller.report()
    entry = report["targets"][url]
    assert entry["kind"] == "backend"
    assert entry["counts"]["ok"] >= 6 and entry["counts"]["non200"] >= 3
    assert entry["counts"]["ok"] + entry["counts"]["non200"] == entry["samples"] == report["totals"]["samples"]
    assert entry["versions"] == [OLD, NEW] and [(c["from"], c["to"]) for c in entry["changes"]] == [(OLD, NEW)]
    assert entry["bad"][0]["statuses"] == [500] and entry["bad"][0]["version"] is None
    assert "starting" in entry["bad"][0]["detail"]
    samples = poller.samples(url)
    first_500 = [i for i, s in enumerate(samples) if s.classification == "non200"][0]
    last_500 = [i for i, s in enumerate(samples) if s.classification == "non200"][-1]
    assert all(s.version == OLD for s in samples[:first_500])
    assert all(s.version == NEW for s in samples[last_500 + 1:])
    assert "backend %s: %d samples" % (url, entry["samples"]) in poller.format_report(report)


def test_the_loop_stops_by_itself_at_its_limit(tmp_path, bundles, expected):
    live = str(tmp_path / "www")
    write_tree(live, bundles[NEW])
    with Server(functools.partial(Quiet, directory=live)) as node:
        poller = Poller(web=[node.url], versions=expected, interval=0.05, limit_seconds=0.4).start()
        deadline = time.monotonic() + 5
        while poller.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not poller.running  # nobody called stop()
        entry = poller.report()["targets"][node.url]
        assert entry["stopped_by_limit"] and 2 <= entry["samples"] <= poller.max_samples == 9
        poller.stop()
        assert poller.report()["targets"][node.url]["samples"] == entry["samples"]
    assert "stopped by its limit" in poller.format_report()
    with pytest.raises(RuntimeError):
        poller.start()


def test_bad_arguments_are_refused(expected):
    with pytest.raises(ValueError):
        Poller()
    with pytest.raises(ValueError):
        Poller(web=["http://127.0.0.1:1"])  # no manifests to check against
    with pytest.raises(ValueError):
        Poller(web=["http://127.0.0.1:1"], versions=expected, interval=0.001)
    with pytest.raises(ValueError):
        Poller(web=["http://127.0.0.1:1", "http://127.0.0.1:1"], versions=expected)
    with pytest.raises(ValueError):
        Poller(web=["http://127.0.0.1:1"], versions={OLD: {"assets/x.js": "0" * 64}})


def test_environment_proxy_is_not_used(monkeypatch, tmp_path, bundles, expected):
    """An ``http_proxy`` would otherwise carry even loopback requests (no ``no_proxy`` here)."""
    hits = []

    class Proxy(Quiet):
        def do_GET(self):
            hits.append(self.path)
            self.send_error(502)

    live = str(tmp_path / "www")
    write_tree(live, bundles[OLD])
    with Server(Proxy) as proxy, Server(functools.partial(Quiet, directory=live)) as node:
        for name in ("http_proxy", "HTTP_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        for name in ("no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        with Poller(web=[node.url], versions=expected, interval=0.02, limit_seconds=30) as poller:
            until(poller, lambda r: r["totals"]["samples"] >= 3, "samples")
    entry = poller.report()["targets"][node.url]
    assert entry["counts"]["ok"] == entry["samples"] and hits == []
