"""The local lab: Routing ML's estate on one Linux machine, on loopback addresses only.

Each host is an sshd on its own 127.0.L.N address with its own host key and root folder;
web hosts also run nginx, the nas host also runs Samba (as root). ``python -m rml_lab``
(or ``./dev lab``) brings it up, takes it down, shows its status and builds sample releases.
"""
