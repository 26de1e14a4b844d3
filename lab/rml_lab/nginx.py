"""nginx on the web hosts (IIS farm stand-ins and DMZ nodes), serving ``www/current``."""

from __future__ import annotations

import getpass
import os

from . import processes
from .topology import HTTP_PORT, Host

NGINX = "/usr/sbin/nginx"
MIME_TYPES = "/etc/nginx/mime.types"


def paths(host_dir: str) -> dict[str, str]:
    prefix = os.path.join(host_dir, "nginx")
    return {
        "prefix": prefix,
        "config": os.path.join(prefix, "conf", "nginx.conf"),
        "pidfile": os.path.join(prefix, "nginx.pid"),
        "error_log": os.path.join(prefix, "logs", "error.log"),
    }


def command(host_dir: str, *extra: str) -> list[str]:
    """nginx with this host's prefix and config; also what roles use to test and reload."""
    p = paths(host_dir)
    return [NGINX, "-e", p["error_log"], "-p", p["prefix"], "-c", p["config"]] + list(extra)


def configure(host: Host, host_dir: str, web_root: str) -> dict[str, str]:
    p = paths(host_dir)
    for sub in ("conf", "logs", "temp"):
        os.makedirs(os.path.join(p["prefix"], sub), exist_ok=True)
    temp = os.path.join(p["prefix"], "temp")
    # As root, workers would switch to nobody, who cannot read a lab folder under a
    # private home or temp directory; run them as the lab's own user instead.
    user = "user %s;\n" % getpass.getuser() if os.geteuid() == 0 else ""
    config = """%(user)sworker_processes 1;
pid %(pidfile)s;
error_log %(error_log)s;
events { worker_connections 256; }
http {
    include %(mime)s;
    default_type application/octet-stream;
    access_log %(prefix)s/logs/access.log;
    client_body_temp_path %(temp)s/client_body;
    proxy_temp_path %(temp)s/proxy;
    fastcgi_temp_path %(temp)s/fastcgi;
    uwsgi_temp_path %(temp)s/uwsgi;
    scgi_temp_path %(temp)s/scgi;
    sendfile on;
    server {
        listen %(address)s:%(port)d;
        server_name %(name)s;
        root %(web_root)s;
        index index.html;
        location / { try_files $uri $uri/ =404; }
    }
}
""" % dict(user=user, pidfile=p["pidfile"], error_log=p["error_log"], mime=MIME_TYPES, prefix=p["prefix"],
           temp=temp, address=host.address, port=HTTP_PORT, name=host.name, web_root=web_root)
    with open(p["config"], "w") as handle:
        handle.write(config)
    return p


def start(host: Host, host_dir: str) -> int:
    return processes.ensure_daemon(paths(host_dir)["pidfile"], command(host_dir, "-t"), command(host_dir),
                                   host.address, HTTP_PORT)


def stop(host_dir: str) -> bool:
    return processes.stop(paths(host_dir)["pidfile"])
