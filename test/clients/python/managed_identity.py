"""Gets a managed-identity token the way a Python workload does, and reports who the token names.

Usage: /usr/bin/python3 managed_identity.py SELECTOR [VALUE] RESOURCE

SELECTOR none | client_id | mi_res_id | msi_res_id | object_id (azure-identity's ManagedIdentityCredential; msal's
ManagedIdentityClient only exists from msal 1.29, Debian ships 1.21)

No endpoint is configured: the libraries use 169.254.169.254, which the pod's network namespace redirects to NMI.
Prints one line `RESULT <json>`: {"ok": true, "claims": {...}} or {"ok": false, "type": ..., "error": ...}.
"""

import base64
import json
import sys


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def with_azure_identity(selector, value, resource):
    from azure.identity import ManagedIdentityCredential

    options = {}
    if selector == "client_id":
        options["client_id"] = value
    elif selector != "none":
        options["identity_config"] = {selector: value}
    # One attempt: an answer the credential would retry (404 while NMI looks for an identity) is reported at once
    # instead of after the SDK's minute of back-off; NMI itself still waits its own retry budget.
    credential = ManagedIdentityCredential(retry_total=0, **options)
    try:
        return credential.get_token(resource + "/.default").token
    finally:
        credential.close()


def main():
    selector = sys.argv[1]
    value = sys.argv[2] if selector != "none" else None
    resource = sys.argv[-1]
    try:
        token = with_azure_identity(selector, value, resource)
        outcome = {"ok": True, "claims": claims_of(token)}
    except Exception as error:  # the refusal cases expect one; the suite reports any other
        outcome = {"ok": False, "type": type(error).__name__, "error": str(error)[:600]}
    print("RESULT " + json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main()
