"""Routing ML stand-in backend: the parts of the real service that the SOP looks at.

GET /api/health, GET and POST /api/rsl/groups, and audit lines for every request in
logs/audit/ui_actions.log (and, for RSL calls, logs/audit/rsl.audit.log) with an ISO8601
time, the client IP and the action. Like the real service it will not start without
ROUTING_ML_RSL_DATABASE_URL.
"""

from __future__ import annotations

import datetime
import json
import os
import threading

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

HOME = os.environ["ROUTING_ML_HOME"]
PROGRAM = os.path.join(HOME, "current")
DATABASE_URL = os.environ.get("ROUTING_ML_RSL_DATABASE_URL", "").strip()
if not DATABASE_URL:
    raise SystemExit("ROUTING_ML_RSL_DATABASE_URL is not set: the Routing ML service cannot start")

with open(os.path.join(PROGRAM, "VERSION")) as _handle:
    VERSION = _handle.read().strip()
UNHEALTHY = os.path.exists(os.path.join(PROGRAM, "UNHEALTHY"))
CRASHING = os.path.exists(os.path.join(PROGRAM, "CRASHING"))
AUDIT_DIR = os.path.join(HOME, "logs", "audit")
STORE = os.path.join(HOME, "data", "rsl_groups.json")
os.makedirs(AUDIT_DIR, exist_ok=True)
os.makedirs(os.path.dirname(STORE), exist_ok=True)
_lock = threading.Lock()

app = FastAPI(title="Routing ML (lab stand-in)", version=VERSION)


class Group(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    routes: list[str] = []


def _audit(log_name: str, client: str, action: str, status: int) -> None:
    stamp = datetime.datetime.now().astimezone().isoformat(timespec="milliseconds")
    line = '%s ip=%s action=%s status=%d\n' % (stamp, client, json.dumps(action, ensure_ascii=False), status)
    with _lock, open(os.path.join(AUDIT_DIR, log_name), "a", encoding="utf-8") as handle:
        handle.write(line)


@app.middleware("http")
async def audit_every_request(request: Request, call_next):
    response = await call_next(request)
    client = request.client.host if request.client else "-"
    action = "%s %s" % (request.method, request.url.path)
    detail = getattr(request.state, "audit_detail", "")
    _audit("ui_actions.log", client, (action + " " + detail).strip(), response.status_code)
    if request.url.path.startswith("/api/rsl/"):
        _audit("rsl.audit.log", client, (action + " " + detail).strip(), response.status_code)
    return response


def _load() -> list[dict]:
    try:
        with open(STORE, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return []


def _save(groups: list[dict]) -> None:
    tmp = STORE + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(groups, handle, ensure_ascii=False, indent=1)
    os.replace(tmp, STORE)


@app.get("/api/health")
def health():
    if CRASHING:
        # A service that starts, listens, and dies when first used: its port then refuses.
        os._exit(70)
    if UNHEALTHY:
        return JSONResponse({"status": "error", "version": VERSION, "detail": "built unhealthy"}, status_code=500)
    return {"status": "ok", "version": VERSION, "database": "configured"}


@app.get("/api/rsl/groups")
def list_groups():
    with _lock:
        return {"groups": _load()}


@app.post("/api/rsl/groups", status_code=201)
def create_group(group: Group, request: Request):
    request.state.audit_detail = "name=%s" % group.name
    with _lock:
        groups = _load()
        if any(g["name"] == group.name for g in groups):
            raise HTTPException(status_code=409, detail="group %r exists" % group.name)
        record = {"name": group.name, "routes": group.routes,
                  "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}
        groups.append(record)
        _save(groups)
    return record
