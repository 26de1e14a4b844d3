"""The lab's signing keys: one per sample approver and one for the controller's ledger checkpoints.

Production enrols real people's keys in an allowed_signers file kept by the release owner;
the lab makes its own so that `./dev run` can sign the way each approver would.
"""

import os

from . import processes

# principal -> the namespaces its line allows (docs/formats.md: a role is a namespace).
SIGNERS = {
    "QA-KIM": ["routing-ml-approval-qa-lead"],
    "DEPLOY-LEE": ["routing-ml-approval-deployment-engineer"],
    "OWNER-PARK": ["routing-ml-approval-release-owner"],
    "routing-ml-controller": ["routing-ml-ledger"],
}
CONTROLLER = "routing-ml-controller"
# Lifting a rollback's block is signed by whoever approves GA (the Release Owner).
UNBLOCK_GATE = "GA"
# The sample approver of each gate and the namespace they sign in.
APPROVERS = {
    "Alpha": ("QA-KIM", "routing-ml-approval-qa-lead"),
    "Beta": ("DEPLOY-LEE", "routing-ml-approval-deployment-engineer"),
    "GA": ("OWNER-PARK", "routing-ml-approval-release-owner"),
}


def directory(lab_dir: str) -> str:
    return os.path.join(lab_dir, "signing")


def key(lab_dir: str, principal: str) -> str:
    return os.path.join(directory(lab_dir), principal)


def ensure(lab_dir: str) -> dict:
    """Keys that exist are kept (approvals signed earlier stay verifiable)."""
    folder = directory(lab_dir)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    lines = []
    for principal, namespaces in SIGNERS.items():
        path = key(lab_dir, principal)
        if not os.path.exists(path):
            processes.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lab %s" % principal, "-f", path])
        with open(path + ".pub") as handle:
            keytype, blob = handle.read().split()[:2]
        lines.append('%s namespaces="%s" %s %s lab %s\n' % (principal, ",".join(namespaces), keytype, blob, principal))
    allowed = os.path.join(folder, "allowed_signers")
    with open(allowed, "w") as handle:
        handle.writelines(lines)
    return {"allowed_signers": allowed, "controller_key": key(lab_dir, CONTROLLER), "dir": folder}


def sign_statement(lab_dir: str, workspace: str, version: str, gate: str, as_principal: str = "",
                   unblock: bool = False) -> str:
    """Sign a gate's statement the way its sample approver would (ssh-keygen -Y sign); returns
    the signature's path. An existing signature is replaced (the approver signs again).
    ``unblock``: the statement that lifts a rollback's block (playbooks/unblock.yml writes it),
    which the Release Owner signs whatever the gate."""
    principal, namespace = APPROVERS[UNBLOCK_GATE if unblock else gate]
    name = "%s.unblock.statement.json" % gate if unblock else "%s.statement.json" % gate
    statement = os.path.join(workspace, "deliverables", "approvals", version, name)
    if not os.path.isfile(statement):
        raise ValueError("no statement %s: run %s first" % (
            statement, "playbooks/unblock.yml" if unblock else "the deployment of %s" % gate))
    signature = statement + ".sig"
    if os.path.exists(signature):
        os.unlink(signature)
    processes.run(["ssh-keygen", "-q", "-Y", "sign", "-f", key(lab_dir, as_principal or principal), "-n", namespace,
                   statement])
    return signature


def sign_trust_change(lab_dir: str, workspace: str, as_principal: str = "OWNER-PARK") -> str:
    """Sign the proposed change of the environment's trust settings (logs/trust_change.json,
    written by playbooks/trust_change.yml) as the Release Owner would; returns the signature's path."""
    proposal = os.path.join(workspace, "logs", "trust_change.json")
    if not os.path.isfile(proposal):
        raise ValueError("no proposal %s: run playbooks/trust_change.yml first" % proposal)
    signature = proposal + ".sig"
    if os.path.exists(signature):
        os.unlink(signature)
    processes.run(["ssh-keygen", "-q", "-Y", "sign", "-f", key(lab_dir, as_principal), "-n", APPROVERS["GA"][1],
                   proposal])
    return signature
