# -*- coding: utf-8 -*-
"""A background poller for the failure drills: what users saw while a drill ran.

A drill (deploy, kill the controller mid-sync, roll back, ...) passes only if every web
node kept serving one whole release and the backend kept answering. A final check after
the drill cannot tell that; this poller fetches each node's ``index.html`` and one script
asset it references, and each backend's health, over and over while the drill runs, and
keeps every sample so that a test can assert on counts and on the order of versions.

Samples are classified:

- ``ok``: everything answered 200 and the bytes are those of one version's manifest
  (``index.html`` and its asset of the same version; backend: ``"status": "ok"``);
- ``non200``: a status other than 200, or no answer (refused, reset, timed out); the
  status or the error text is kept;
- ``missing``: ``index.html`` answered 200 but the asset it references answered 404, a page
  whose script is gone;
- ``mixed``: answered 200, but the bytes are not one version's: the asset is another
  version's, or matches no version, or ``index.html`` names a version its bytes are not;
- ``unknown``: answered 200 with a page that names no version (not a Routing ML page), or a
  backend health document without ``"status": "ok"``.

Statuses decide first (``non200``, then ``missing``), then the bytes. After an asset 404
the node's ``index.html`` is asked again: when it names another version by then, the
sample raced a switch between the two requests (recorded as ``switched_to``): a page
a browser loaded just before an atomic switch loses its script in the same way.

Loopback only: a URL whose host is not 127.0.0.0/8, ``::1`` or ``localhost`` is refused
before anything starts, redirects are never followed, and an asset that ``index.html``
places on another origin is not fetched. Environment proxies are ignored.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import hashlib
import http.client
import ipaddress
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "lab"))

CLASSES = ("ok", "non200", "missing", "mixed", "unknown")
BAD = frozenset(CLASSES) - {"ok"}
MAX_BODY = 8 * 1024 * 1024  # a node serving something huge is a bad sample, not a memory problem
KEEP_BAD = 5  # bad samples a report keeps per target (format_report quotes three)
HEADERS = {"User-Agent": "routing-ml-drill-poller", "Cache-Control": "no-cache"}

META_RE = re.compile(r"""<meta\b[^>]*\bname\s*=\s*["']routing-ml-version["'][^>]*>""", re.I)
CONTENT_RE = re.compile(r"""\bcontent\s*=\s*["']([^"']*)["']""", re.I)
SCRIPT_SRC_RE = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", re.I)

Sample = collections.namedtuple("Sample", "time target kind classification version statuses detail switched_to")
Sample.__doc__ = """One poll of one target.

``time`` is ``time.monotonic()`` when the sample started; ``statuses`` the HTTP status of
each request (``None``: no answer, or not asked); ``version`` the version the answer named
(the meta tag, or the health document's ``version``), ``None`` when it named none.
"""


def manifests(versions, count):
    """``{version: {relative path: sha256 hex}}`` of the lab's bundles (``bundle_files``)."""
    from rml_lab import release  # pylint: disable=import-outside-toplevel
    return dict((version, dict((name, hashlib.sha256(data).hexdigest())
                               for name, data in release.bundle_files(version, count).items()))
                for version in versions)


def check_loopback(url):
    """Refuse (ValueError) a URL that could leave this machine: only loopback is polled."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("poller: %r is not an http(s) URL" % (url,))
    host = parts.hostname
    if not host:
        raise ValueError("poller: %r names no host" % (url,))
    try:
        parts.port  # pylint: disable=pointless-statement
    except ValueError as error:
        raise ValueError("poller: %r: %s" % (url, error))
    if host == "localhost":
        # Whatever /etc/hosts says it is must be loopback as well.
        try:
            addresses = set(info[4][0] for info in socket.getaddrinfo(host, None))
        except socket.gaierror as error:
            raise ValueError("poller: %r: localhost does not resolve: %s" % (url, error))
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_loopback:
                raise ValueError("poller: %r: localhost resolves to %s, not loopback" % (url, address))
        return url
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError("poller: %r: host %r is not a loopback address (127.0.0.0/8, ::1, localhost)"
                         % (url, host))
    if not address.is_loopback:
        raise ValueError("poller: %r: %s is not a loopback address (127.0.0.0/8, ::1, localhost)" % (url, host))
    return url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as its own status: following it could leave loopback."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener():
    # ProxyHandler({}): an http_proxy in the environment must never carry loopback traffic away.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _origin(parts):
    return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


class _Target:
    """One URL and its samples; ``poll()`` takes one sample (called by its own thread only)."""

    kind = None

    def __init__(self, url, poller):
        self.url = url
        self.poller = poller
        self.samples = []
        self.error = None  # an exception that was not an HTTP outcome: a bug, stops the thread
        self.stopped_by_limit = False
        self.opener = _opener()

    def get(self, url):
        """``(status, body, error)``: status None and the error's text when nothing answered."""
        request = urllib.request.Request(url, headers=HEADERS)
        try:
            with self.opener.open(request, timeout=self.poller.timeout) as response:
                return response.status, response.read(MAX_BODY), None
        except urllib.error.HTTPError as error:
            try:
                body = error.read(MAX_BODY)
            except (OSError, http.client.HTTPException):
                body = b""
            finally:
                error.close()
            return error.code, body, None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", None) or error
            return None, b"", "GET %s: %s: %s" % (url, type(reason).__name__, reason)


class _Web(_Target):
    kind = "web"

    def __init__(self, url, poller):
        super(_Web, self).__init__(url, poller)
        self.index_url = url.rstrip("/") + "/index.html"
        parts = urllib.parse.urlsplit(self.index_url)
        self.origin = _origin(parts)
        self.base_path = parts.path.rsplit("/", 1)[0] + "/"
        self.turn = 0

    def read_index(self):
        """``(status, version named, digest, script srcs, error)`` of this node's index.html."""
        status, body, error = self.get(self.index_url)
        if status != 200:
            return status, None, None, [], error
        text = body.decode("utf-8", "replace")
        meta = META_RE.search(text)
        content = CONTENT_RE.search(meta.group(0)) if meta else None
        version = content.group(1) if content else None
        return status, version, hashlib.sha256(body).hexdigest(), SCRIPT_SRC_RE.findall(text), None

    def relpath(self, path):
        path = urllib.parse.unquote(path)
        return path[len(self.base_path):] if path.startswith(self.base_path) else path.lstrip("/")

    def poll(self):
        versions = self.poller.versions
        index_status, version, index_digest, srcs, error = self.read_index()
        if index_status != 200:
            return "non200", None, (index_status, None), error or "index.html answered %s" % index_status, None
        if version is None:
            return "unknown", None, (200, None), "index.html names no version (no routing-ml-version meta)", None
        problems = []
        manifest = versions.get(version)
        if manifest is None:
            problems.append("index.html names %s, not a version polled for (%s)" % (version, ", ".join(versions)))
        elif manifest.get("index.html") != index_digest:
            problems.append("index.html names %s but its bytes are not %s's (sha256 %s)"
                            % (version, version, index_digest[:12]))
        if not srcs:
            if problems:
                return "mixed", version, (200, None), "; ".join(problems), None
            return "ok", version, (200, None), "index.html references no script", None
        src = srcs[self.turn % len(srcs)]
        self.turn += 1
        asset_url = urllib.parse.urljoin(self.index_url, src)
        asset_parts = urllib.parse.urlsplit(asset_url)
        if _origin(asset_parts) != self.origin:
            problems.append("index.html's script %s is on another origin: not fetched" % src)
            return "mixed", version, (200, None), "; ".join(problems), None
        asset_status, body, error = self.get(asset_url)
        if asset_status == 404:
            # Asked again: a switch between the two requests shows as another version now.
            dummy, now, dummy, dummy, dummy = self.read_index()
            switched = now if now not in (None, version) else None
            detail = "%s answered 404 (index.html names %s%s)" % (
                src, version, "; now names %s: switched in between" % switched if switched else "")
            return "missing", version, (200, 404), detail, switched
        if asset_status != 200:
            return "non200", version, (200, asset_status), error or "%s answered %s" % (src, asset_status), None
        digest = hashlib.sha256(body).hexdigest()
        rel = self.relpath(asset_parts.path)
        if manifest is not None and manifest.get(rel) != digest:
            owners = [v for v, m in versions.items() if v != version and digest in set(m.values())]
            if owners:
                problems.append("%s has %s's bytes, index.html is %s" % (src, " or ".join(owners), version))
            else:
                problems.append("%s matches no version (sha256 %s)" % (src, digest[:12]))
        if problems:
            return "mixed", version, (200, 200), "; ".join(problems), None
        return "ok", version, (200, 200), None, None


class _Backend(_Target):
    kind = "backend"

    def poll(self):
        status, body, error = self.get(self.url)
        version, state = None, None
        try:
            document = json.loads(body.decode("utf-8"))
        except ValueError:
            document = None
        if isinstance(document, dict):
            version = document.get("version")
            version = None if version is None else str(version)
            state = document.get("status")
        if status != 200:
            return "non200", version, (status,), error or "answered %s: %s" % (status, body[:200]), None
        if state != "ok":
            return "unknown", version, (200,), "health document is not status ok: %r" % (body[:200],), None
        return "ok", version, (200,), None, None


class Poller:
    """Poll web nodes and backend health URLs from background threads while a drill runs.

    ``web``: base URLs of web nodes (``http://127.0.10.5:8080``); ``backend``: health URLs
    (``http://127.0.10.2:8000/api/health``); ``versions``: ``{version: manifest}`` of every
    version the nodes may serve (``manifests()``). One daemon thread per target takes a
    sample, waits ``interval`` seconds and goes again, each request with ``timeout``; it
    stops on ``stop()`` (leaving the ``with`` block) or by itself after ``limit_seconds``, so
    a forgotten poller can neither run nor grow without end.
    """

    def __init__(self, web=(), backend=(), versions=None, interval=0.05, timeout=2.0, limit_seconds=600):
        web, backend = list(web), list(backend)
        if not web and not backend:
            raise ValueError("poller: no target to poll")
        for url in web + backend:
            check_loopback(url)
        if len(set(web + backend)) != len(web + backend):
            raise ValueError("poller: a URL is listed twice")
        versions = dict(versions or {})
        if web and not versions:
            raise ValueError("poller: web nodes need the versions' manifests to check bytes against")
        for version, manifest in versions.items():
            if "index.html" not in manifest:
                raise ValueError("poller: manifest of %s has no index.html" % version)
        if not interval >= 0.01:
            raise ValueError("poller: interval %r is below 0.01 s" % (interval,))
        if not timeout > 0 or not limit_seconds > 0:
            raise ValueError("poller: timeout and limit_seconds must be positive")
        self.versions = versions
        self.interval = float(interval)
        self.timeout = float(timeout)
        self.limit_seconds = float(limit_seconds)
        # Each sample waits at least ``interval`` before the next: this bounds the requests.
        self.max_samples = int(self.limit_seconds / self.interval) + 1
        self.targets = [_Web(url, self) for url in web] + [_Backend(url, self) for url in backend]
        self.started = None
        self.stopped = None
        self._lock = threading.Lock()
        # Notified at each sample, for a test that waits for samples rather than sleeping.
        self._sampled = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._threads = []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()
        return False

    def start(self):
        if self.started is not None:
            raise RuntimeError("poller: already started (a poller runs once)")
        self.started = time.monotonic()
        for number, target in enumerate(self.targets):
            thread = threading.Thread(target=self._run, args=(target,), name="poller-%d" % number)
            thread.daemon = True
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self):
        """Stop and join the threads; a sample in flight finishes (at most three requests)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(3 * self.timeout + 1)
        if self.stopped is None and self.started is not None:
            self.stopped = time.monotonic()

    @property
    def running(self):
        return any(thread.is_alive() for thread in self._threads)

    def _run(self, target):
        deadline = self.started + self.limit_seconds
        taken = 0
        while not self._stop.is_set():
            if time.monotonic() >= deadline or taken >= self.max_samples:
                target.stopped_by_limit = True
                return
            now = time.monotonic()
            try:
                classification, version, statuses, detail, switched = target.poll()
            except Exception as error:  # pylint: disable=broad-except
                # Not an HTTP outcome but a fault of the poller itself: say so, never count it.
                with self._lock:
                    target.error = "%s: %s" % (type(error).__name__, error)
                    self._sampled.notify_all()
                return
            sample = Sample(now, target.url, target.kind, classification, version, statuses, detail, switched)
            with self._lock:
                target.samples.append(sample)
                self._sampled.notify_all()
            taken += 1
            self._stop.wait(self.interval)

    def wait_for_samples(self, since=None, timeout=30.0):
        """Wait until every target has taken a sample that began at or after ``since`` (a
        ``time.monotonic()`` value; now when omitted): the samples that show a state reached.
        ``timeout`` is only an error path: AssertionError naming the targets still waiting."""
        since = time.monotonic() if since is None else since

        def waiting():
            return [t.url for t in self.targets if not (t.samples and t.samples[-1].time >= since)
                    and t.error is None]

        with self._sampled:
            if not self._sampled.wait_for(lambda: not waiting() or not self.running, timeout):
                raise AssertionError("poller: no sample after the event within %.0f s from %s" % (timeout, waiting()))
            left = waiting()
        assert not left, "poller: stopped before these took a sample after the event: %s" % left

    def samples(self, target=None):
        """Every sample so far (of one target URL, or all), in the order each target took them."""
        with self._lock:
            return [s for t in self.targets if target in (None, t.url) for s in t.samples]

    def report(self):
        """Counts, versions in order and bad samples per target, and totals; see the module doc."""
        with self._lock:
            snapshot = [(t, list(t.samples), t.error, t.stopped_by_limit) for t in self.targets]
        origin = self.started if self.started is not None else time.monotonic()
        end = self.stopped if self.stopped is not None else time.monotonic()
        targets = {}
        totals = dict((c, 0) for c in CLASSES)
        totals["samples"] = 0
        for target, samples, error, by_limit in snapshot:
            counts = dict((c, 0) for c in CLASSES)
            versions, changes, bad = [], [], []
            last = None
            for sample in samples:
                counts[sample.classification] += 1
                if sample.version is not None:
                    if sample.version not in versions:
                        versions.append(sample.version)
                    if last is not None and sample.version != last:
                        changes.append({"t": round(sample.time - origin, 3), "time": sample.time,
                                        "from": last, "to": sample.version})
                    last = sample.version
                if sample.classification in BAD:
                    bad.append(sample)
            targets[target.url] = {
                "kind": target.kind,
                "samples": len(samples),
                "counts": counts,
                "versions": versions,
                "changes": changes,
                "last_version": last,
                "bad": [_bad(s, origin) for s in bad[:KEEP_BAD]],
                "bad_window": [round(bad[0].time - origin, 3), round(bad[-1].time - origin, 3)] if bad else None,
                "switch_races": sum(1 for s in bad if s.switched_to),
                "stopped_by_limit": by_limit,
                "error": error,
            }
            totals["samples"] += len(samples)
            for c in CLASSES:
                totals[c] += counts[c]
        totals["bad"] = sum(totals[c] for c in BAD)
        return {"targets": targets, "totals": totals, "seconds": round(end - origin, 3),
                "interval": self.interval, "running": self.running,
                "errors": dict((t.url, e) for t, dummy, e, dummy in snapshot if e)}

    def format_report(self, report=None):
        """A short summary for a drill's note: one line per target, its first bad samples below."""
        report = report or self.report()
        totals = report["totals"]
        kinds = collections.Counter(t["kind"] for t in report["targets"].values())
        lines = ["poller: %d web, %d backend; %.1f s, %d samples: %s" % (
            kinds["web"], kinds["backend"], report["seconds"], totals["samples"], _counts(totals))]
        for url, entry in report["targets"].items():
            versions = " -> ".join([entry["changes"][0]["from"]] + [c["to"] for c in entry["changes"]]
                                   if entry["changes"] else entry["versions"]) or "no version"
            times = ", ".join("%s at +%.2f s" % (c["to"], c["t"]) for c in entry["changes"])
            line = "  %s %s: %d samples, %s; %s%s" % (entry["kind"], url, entry["samples"], _counts(entry["counts"]),
                                                        versions, " (%s)" % times if times else "")
            if entry["bad_window"]:
                line += "; bad from +%.2f s to +%.2f s" % tuple(entry["bad_window"])
            if entry["switch_races"]:
                line += "; %d raced a switch" % entry["switch_races"]
            if entry["stopped_by_limit"]:
                line += "; stopped by its limit"
            lines.append(line)
            for bad in entry["bad"][:3]:
                lines.append("    +%.2f s %s %s %s: %s" % (bad["t"], bad["classification"], bad["version"] or "-",
                                                           bad["statuses"], bad["detail"]))
            if entry["error"]:
                lines.append("    POLLER FAULT: %s" % entry["error"])
        return "\n".join(lines)


def _counts(counts):
    shown = ["%d %s" % (counts[c], c) for c in CLASSES if counts[c] or c == "ok"]
    return ", ".join(shown)


def _bad(sample, origin):
    return {"t": round(sample.time - origin, 3), "time": sample.time, "classification": sample.classification,
            "version": sample.version, "statuses": list(sample.statuses), "detail": sample.detail,
            "switched_to": sample.switched_to}
