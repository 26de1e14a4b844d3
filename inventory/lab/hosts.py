#!/usr/bin/env python3
"""Inventory of the local lab, read from the state that `./dev lab up` writes.

The lab folder is $ROUTING_ML_LAB_DIR, or .lab beside this checkout's inventory/ folder.
Host key checking stays on: every host's key is in the lab's known_hosts file.
"""

import json
import os
import sys

LAB_DIR = os.environ.get("ROUTING_ML_LAB_DIR") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".lab")
GROUPS = ("nas", "backend", "iis_farm", "dmz_nginx")


def hostvars(state, record):
    ssh = state["ssh"]
    result = {
        "ansible_host": record["address"],
        "ansible_port": record["ssh_port"],
        "ansible_user": state["user"],
        "ansible_ssh_private_key_file": ssh["key"],
        "ansible_ssh_common_args": "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes" % ssh["known_hosts"],
        "ansible_python_interpreter": "/usr/bin/python3",
        "routing_ml_lab_host_root": record["root"],
        "routing_ml_lab_python": state["python"],
    }
    for key in ("web_root", "http_port", "nginx", "nginx_pidfile", "share", "app_home", "service_config", "environment",
                "backend_port", "database"):
        if key in record:
            result["routing_ml_lab_" + key] = record[key]
    return result


def inventory():
    try:
        with open(os.path.join(LAB_DIR, "state.json")) as handle:
            state = json.load(handle)
    except FileNotFoundError:
        sys.exit("the lab in %s is not up: run ./dev lab up" % LAB_DIR)
    result = {"_meta": {"hostvars": {}},
              "all": {"children": list(GROUPS) + ["web", "share", "stage_alpha", "stage_beta", "stage_ga"],
                      "vars": dict(routing_ml_lab_dir=state["lab_dir"], **dict(signing_vars(state), **lab_vars()))},
              "web": {"children": ["iis_farm", "dmz_nginx"]},
              # The host whose folder is the NAS/SCCM share (reached over SSH).
              "share": {"children": ["nas"]}}
    for group in GROUPS:
        result[group] = {"hosts": []}
    for record in state["hosts"]:
        result[record["group"]]["hosts"].append(record["name"])
        result["_meta"]["hostvars"][record["name"]] = hostvars(state, record)
    if state.get("samba"):
        result["nas"]["vars"] = {"routing_ml_lab_smb": state["samba"]}
    result.update(stages(result))
    return result


def signing_vars(state):
    """The lab's allowed_signers and the controller's checkpoint key (`lab up` makes them)."""
    signing = state.get("signing")
    if not signing:
        return {}
    return {"routing_ml_allowed_signers": signing["allowed_signers"],
            "routing_ml_ledger_signing_key": signing["controller_key"]}


def lab_vars():
    """The lab's own settings (rml_lab.control.set_inventory_vars): signed approvals unless it says
    otherwise. Here, not in group_vars: a group_vars file would win over the script's variables."""
    settings = {"routing_ml_approval_signatures": "required"}
    try:
        with open(os.path.join(LAB_DIR, "inventory_vars.json")) as handle:
            settings.update(json.load(handle))
    except FileNotFoundError:
        pass
    return settings


def stages(groups):
    """SOP 3: Alpha on internal QA hosts, Beta on a limited group, GA on everything."""
    farm, dmz, backend = groups["iis_farm"]["hosts"], groups["dmz_nginx"]["hosts"], groups["backend"]["hosts"]
    return {
        "stage_alpha": {"hosts": farm[:1] + backend},
        "stage_beta": {"hosts": farm[:max(1, len(farm) // 2)] + dmz[:1] + backend},
        "stage_ga": {"hosts": farm + dmz + backend},
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--host":
        print("{}")
    else:
        print(json.dumps(inventory(), indent=1, sort_keys=True))
