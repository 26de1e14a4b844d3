"""Which hosts a lab has, their groups and their loopback addresses."""

from __future__ import annotations

import dataclasses

SSH_PORT = 2222
HTTP_PORT = 8080
BACKEND_PORT = 8000

# Last octets: nas .10, backends from .11, IIS farm stand-ins from .21, DMZ nodes from .61.
_FIRST = {"nas": 10, "backend": 11, "iis_farm": 21, "dmz_nginx": 61}
_LIMITS = {"nas": 1, "backend": 9, "iis_farm": 40, "dmz_nginx": 20}
_NAMES = {"nas": "nas", "backend": "backend", "iis_farm": "node", "dmz_nginx": "dmz"}
WEB_GROUPS = ("iis_farm", "dmz_nginx")


@dataclasses.dataclass(frozen=True)
class Host:
    name: str
    group: str
    address: str

    @property
    def is_web(self) -> bool:
        return self.group in WEB_GROUPS


def plan(lab_octet: int, farm: int = 4, dmz: int = 2, backend: int = 1) -> list[Host]:
    """The hosts of a lab on 127.0.<lab_octet>.0/24."""
    if not 1 <= lab_octet <= 254:
        raise ValueError("lab octet %r must be between 1 and 254" % (lab_octet,))
    counts = {"nas": 1, "backend": backend, "iis_farm": farm, "dmz_nginx": dmz}
    hosts = []
    for group, count in counts.items():
        if not 0 <= count <= _LIMITS[group]:
            raise ValueError("%s count %r must be between 0 and %d" % (group, count, _LIMITS[group]))
        for index in range(count):
            hosts.append(Host(
                name="%s%d" % (_NAMES[group], index + 1),
                group=group,
                address="127.0.%d.%d" % (lab_octet, _FIRST[group] + index),
            ))
    return hosts
