"""Sample release workspaces (DESIGN.md layout) for the lab, the tests and the benchmarks.

Everything is derived from the version and the options, so the same call gives the same
bytes: installer, frontend bundle, logs and documents. The broken variants the tests need
are options: a failing build log, an unchecked QA item, release notes not approved, and a
backend that reports itself unhealthy.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import io
import os
import re
import zipfile

STANDIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "standin")
ZIP_DATE = (2025, 1, 1, 0, 0, 0)
VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")


@dataclasses.dataclass
class Options:
    version: str
    date: str = ""                  # YYYY-MM-DD; today when empty
    files: int = 2000               # files in the frontend bundle
    broken_build: bool = False      # the npm build log shows TypeScript errors
    unchecked_qa: bool = False      # one QA checklist item is not checked
    unapproved_notes: bool = False  # the release notes are not approved
    unhealthy: bool = False         # the backend's /api/health answers 500
    crashing: bool = False          # the backend's process dies on its first /api/health


def build(workspace: str, options: Options) -> dict[str, str]:
    """Write the release workspace; returns the paths (relative) of what it made."""
    if not VERSION_RE.fullmatch(options.version):
        raise ValueError("version %r is not valid: expected %s" % (options.version, VERSION_RE.pattern))
    day = options.date or datetime.date.today().isoformat()
    datetime.date.fromisoformat(day)
    compact = day.replace("-", "")
    version = options.version
    made = {
        "installer": "build/windows/RoutingMLInstaller_%s.exe" % version,
        "bundle": "build/frontend/RoutingMLFrontend_%s.zip" % version,
        "build_log": "logs/qa/frontend_build_%s.log" % compact,
        "pytest_log": "logs/qa/pytest_rsl_routing_groups_%s.log" % compact,
        "release_notes": "deliverables/release_notes_%s.md" % day,
        "qa_checklist": "docs/sprint/routing_enhancement_qa.md",
        "tasklist": "Tasklist.md",
        "install_guide": "docs/install_guide_ko.md",
        "frontend_report": "docs/stage4_frontend_report.md",
        "feedback_summary": "docs/beta/feedback_summary_%s.md" % version,
        "change_approval": "deliverables/change_approval_%s.md" % version,
        "user_notice": "deliverables/user_notice_%s.md" % version,
    }
    write = _writer(workspace)
    write(made["installer"], installer_bytes(version, options.unhealthy, options.crashing))
    write(made["bundle"], bundle_bytes(version, options.files))
    for key in ("installer", "bundle"):
        data = _read(workspace, made[key])
        name = os.path.basename(made[key])
        write(made[key] + ".sha256", ("%s  %s\n" % (hashlib.sha256(data).hexdigest(), name)).encode())
    write(made["build_log"], build_log(version, day, options.broken_build).encode())
    write(made["pytest_log"], pytest_log(day).encode())
    write(made["release_notes"], release_notes(version, day, options.unapproved_notes).encode(), keep=True)
    write(made["qa_checklist"], qa_checklist(version, options.unchecked_qa).encode())
    write(made["tasklist"], TASKLIST.encode(), keep=True)
    write(made["install_guide"], install_guide(version).encode())
    write(made["frontend_report"], FRONTEND_REPORT.encode(), keep=True)
    write(made["feedback_summary"], ("# Beta 피드백 요약 (%s)\n\n- 선발 사용자 5명 설치 완료, 차단 이슈 없음\n" % version).encode())
    write(made["change_approval"], ("# Change Management 승인서 (%s)\n\n- CAB 승인: 2025-10-02, CHG-%s\n"
                                    % (version, version)).encode())
    write(made["user_notice"], ("# 전체 사용자 공지 (%s)\n\nRouting ML %s 배포 안내\n" % (version, version)).encode())
    return made


def _writer(workspace):
    def write(relpath: str, data: bytes, keep: bool = False) -> None:
        path = os.path.join(workspace, relpath)
        if keep and os.path.exists(path):
            return  # documents the pipeline edits are created once, never reset
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    return write


def _read(workspace: str, relpath: str) -> bytes:
    with open(os.path.join(workspace, relpath), "rb") as handle:
        return handle.read()


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.external_attr = (0o100000 | mode) << 16
    info.create_system = 3
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def installer_bytes(version: str, unhealthy: bool = False, crashing: bool = False) -> bytes:
    """An executable zip (Python runs it whatever its name): the installer and its payload."""
    buffer = io.BytesIO()
    buffer.write(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(buffer, "a") as archive:
        for folder, dummy, names in sorted(os.walk(STANDIN)):
            for name in sorted(names):
                if name.endswith(".pyc"):
                    continue
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, STANDIN).replace(os.sep, "/")
                with open(path, "rb") as handle:
                    data = handle.read().replace(b"__VERSION__", version.encode())
                _zip_entry(archive, rel if rel == "__main__.py" else "payload/" + rel, data)
        _zip_entry(archive, "payload/VERSION", (version + "\n").encode())
        if unhealthy:
            _zip_entry(archive, "payload/UNHEALTHY", b"this build reports itself unhealthy\n")
        if crashing:
            _zip_entry(archive, "payload/CRASHING", b"this build dies on its first health check\n")
    return buffer.getvalue()


def _asset(seed: str, size: int) -> bytes:
    """Deterministic filler of ``size`` bytes: text, so it compresses like real assets."""
    words = hashlib.sha256(seed.encode()).hexdigest()
    line = ("/* %s */ export const v%s=%r;\n" % (seed, words[:8], words)).encode()
    return (line * (size // len(line) + 1))[:size]


def bundle_files(version: str, count: int) -> dict[str, bytes]:
    """The unpacked bundle: a Vite-like dist/ with content-hashed asset names.

    Nine files in ten are "vendor" chunks that stay the same between versions (their
    names and bytes do not depend on the version), as with a real build.
    """
    files: dict[str, bytes] = {}
    entries = []
    kinds = [("js", 5), ("css", 2), ("svg", 2), ("woff2", 1)]
    for index in range(max(count - 1, 0)):
        kind = kinds[index % 4][0] if index % 10 else "js"
        own = index % 10 == 0
        seed = "%s:%d:%s" % (version if own else "vendor", index, kind)
        size = 200 + (int(hashlib.sha256(seed.encode()).hexdigest()[:6], 16) % 12000)
        data = _asset(seed, size)
        digest = hashlib.sha256(data).hexdigest()[:8]
        name = "assets/%s-%d-%s.%s" % ("index" if own else "vendor", index, digest, kind)
        files[name] = data
        if index < 3:
            entries.append(name)
    scripts = "\n".join('    <script type="module" src="/%s"></script>' % n for n in entries if n.endswith(".js"))
    files["index.html"] = (INDEX_HTML % dict(version=version, scripts=scripts)).encode()
    return files


def bundle_bytes(version: str, count: int = 2000) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(bundle_files(version, count).items()):
            _zip_entry(archive, name, data)
    return buffer.getvalue()


INDEX_HTML = """<!doctype html>
<html lang="ko">
  <head>
    <meta charset="UTF-8" />
    <title>Routing ML %(version)s</title>
    <meta name="routing-ml-version" content="%(version)s" />
%(scripts)s
  </head>
  <body>
    <div id="root">Routing ML %(version)s</div>
  </body>
</html>
"""


def build_log(version: str, day: str, broken: bool) -> str:
    head = ("> routing-ml-frontend@%s build\n> tsc -b && vite build\n\n" % version)
    if broken:
        return head + ("src/features/rsl/RoutingGroupPanel.tsx(88,13): error TS2322: Type 'string | undefined' "
                       "is not assignable to type 'string'.\nFound 1 error.\nnpm ERR! code 2\n"
                       "npm ERR! command failed: npm run build --prefix frontend\n")
    return head + ("vite v5.4.8 building for production...\ntransforming...\n✓ 1843 modules transformed.\n"
                   "rendering chunks...\ndist/index.html  0.61 kB\n✓ built in 14.82s (%s)\n" % day)


def pytest_log(day: str) -> str:
    return ("============================= test session starts ==============================\n"
            "collected 12 items\n\ntests/test_rsl_routing_groups.py ............                       [100%%]\n\n"
            "============================= 12 passed in 3.41s ===============================\n"
            "# recorded %s\n" % day)


def release_notes(version: str, day: str, unapproved: bool) -> str:
    approval = ("- [ ] Release Owner 승인 (대기 중)" if unapproved
                else "- [x] Release Owner 승인 (OWNER-PARK, %s)" % day)
    return """# Routing ML 릴리즈 노트 %(version)s (%(day)s)

## Highlights
- RSL 라우팅 그룹 저장/조회 API 안정화 (`/api/rsl/groups`)
- 감사 로그에 요청 시간과 클라이언트 IP 기록

## 승인 (Approval)
%(approval)s

## Known Issues
- 없음
""" % dict(version=version, day=day, approval=approval)


def qa_checklist(version: str, unchecked: bool) -> str:
    mark = " " if unchecked else "x"
    return """# Routing Enhancement QA (%(version)s)

## QA Checklist
- [x] RSL 그룹 생성 후 목록에 표시
- [x] 중복 그룹 이름 거부 (409)
- [%(mark)s] 감사 로그에 시간/IP 기록 확인
- [x] 프런트엔드 빌드 TypeScript 오류 없음

## 메모
- QA-KIM 검토
""" % dict(version=version, mark=mark)


def install_guide(version: str) -> str:
    return """# Routing ML 설치 가이드 (%(version)s)

1. `RoutingMLInstaller_%(version)s.exe`와 `.sha256` 파일을 받는다.
2. `Get-FileHash -Algorithm SHA256`로 해시를 확인한다.
3. 설치 후 `install_service.ps1`로 서비스를 등록한다.
4. `http://<host>:8000/api/health` 응답을 확인한다.
""" % dict(version=version)


TASKLIST = """# Routing ML Tasklist

## Phase 4 - QA
- [x] QA 체크리스트 작성
- [x] pytest tests/test_rsl_routing_groups.py 통과

## Phase 5 - 배포 및 승인
- [ ] Stage 9 Alpha 승인 (QA 리드)
- [ ] Stage 9 Beta 승인 (Deployment Engineer)
- [ ] Stage 9 GA 승인 (Release Owner)

## Phase 6 - 회고
- [ ] 배포 회고
"""

FRONTEND_REPORT = """# Stage 4 Frontend Report

## 개요
프런트엔드 정적 번들을 IIS 팜(노드1~노드4)과 DMZ Nginx 캐시 노드에 동기화한다.

## 배포 준비
"""
