# -*- coding: utf-8 -*-
"""The production inventory template and the lab inventory keep the security defaults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess

from labtools import BIN, ROOT


def inventory(path, env=None):
    completed = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                               env=env, check=True)
    data = json.loads(completed.stdout)
    return data, data["_meta"]["hostvars"]


def members(data, group):
    found = set(data.get(group, {}).get("hosts", []))
    for child in data.get(group, {}).get("children", []):
        found |= members(data, child)
    return found


def test_production_windows_hosts_use_validated_encrypted_winrm():
    data, hostvars = inventory("inventory/production")
    windows = members(data, "windows")
    assert windows == {"node1", "node2", "node3", "node4", "backend1"}
    assert members(data, "iis_farm") == {"node1", "node2", "node3", "node4"}
    for name in windows:
        host = hostvars[name]
        assert host["ansible_connection"] == "winrm" and host["ansible_port"] == 5986
        assert host["ansible_winrm_scheme"] == "https"
        assert host["ansible_winrm_server_cert_validation"] == "validate"
        assert host["ansible_winrm_message_encryption"] == "always"
        assert host["ansible_winrm_transport"] in ("kerberos", "ntlm", "credssp")
        assert host["routing_ml_platform"] == "windows"


def test_production_dmz_nodes_check_host_keys_and_no_secret_is_written_down():
    data, hostvars = inventory("inventory/production")
    assert members(data, "dmz_nginx") == {"dmz1", "dmz2"}
    for name in members(data, "dmz_nginx"):
        assert "StrictHostKeyChecking=yes" in hostvars[name]["ansible_ssh_common_args"]
        assert hostvars[name]["routing_ml_platform"] == "linux"
    for name, host in hostvars.items():
        for key, value in host.items():
            if any(word in key for word in ("password", "pass", "secret", "token")):
                assert "{{" in str(value), "%s of %s is written in clear" % (key, name)
        assert host["routing_ml_share_frontend_latest"] == "\\\\fileshare\\routing_ml\\frontend\\latest"
        assert host["routing_ml_share_backup_root"] == "\\\\share\\routing_ml\\backup"


def test_lab_inventory_keeps_host_key_checking_on(lab):
    data, hostvars = inventory("inventory/lab", env=lab.env())
    assert members(data, "web") == {"node1", "node2", "node3", "node4", "dmz1", "dmz2"}
    assert members(data, "backend") == {"backend1"} and members(data, "nas") == {"nas1"}
    for name, host in hostvars.items():
        assert host["ansible_host"].startswith("127.")
        assert "StrictHostKeyChecking=yes" in host["ansible_ssh_common_args"]
        assert "UserKnownHostsFile=%s" % lab.state["ssh"]["known_hosts"] in host["ansible_ssh_common_args"]
        assert host["routing_ml_platform"] == "linux"
