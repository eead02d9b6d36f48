"""Drives the Python kubernetes client (Debian's python3-kubernetes) against an API server and reports what it saw.

Usage: /usr/bin/python3 kube_scenarios.py SCENARIO KUBECONFIG NAMESPACE

Each scenario does what a Python operator or script does with the client and prints one line
`RESULT <json>` with the observations; the jest suite (test/clients/python-kubernetes.test.ts) judges them. An
unexpected exception prints `RESULT {"error": ...}` so the suite shows what went wrong.
"""

import json
import sys
import traceback

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

GROUP = "aadpodidentity.k8s.io"
VERSION = "v1"
PLURAL = "azureidentities"
# Every watch is bounded: the server ends it after this long even if the expected events never come.
WATCH_SECONDS = 10


def identity(name, client_id, labels=None):
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "AzureIdentity",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {
            "type": 0,
            "resourceID": f"/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/"
            f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
            "clientID": client_id,
        },
    }


def status_of(call):
    """The HTTP status an API call failed with (or 200 when it did not fail)."""
    try:
        call()
        return 200
    except ApiException as error:
        return error.status


def crd_crud(api, namespace):
    objects = client.CustomObjectsApi(api)
    args = (GROUP, VERSION, namespace, PLURAL)
    created = objects.create_namespaced_custom_object(
        *args, identity("py-crud", "11111111-1111-1111-1111-111111111111", {"owner": "python"})
    )
    duplicate = status_of(
        lambda: objects.create_namespaced_custom_object(*args, identity("py-crud", "x", {"owner": "python"}))
    )
    got = objects.get_namespaced_custom_object(*args, "py-crud")
    listed = objects.list_namespaced_custom_object(*args, label_selector="owner=python")
    patched = objects.patch_namespaced_custom_object(
        *args, "py-crud", {"spec": {"clientID": "22222222-2222-2222-2222-222222222222"}}
    )
    replacement = dict(patched)
    replacement["spec"] = dict(patched["spec"], clientID="33333333-3333-3333-3333-333333333333")
    replaced = objects.replace_namespaced_custom_object(*args, "py-crud", replacement)
    stale = dict(replacement)
    stale["metadata"] = dict(replacement["metadata"], resourceVersion=created["metadata"]["resourceVersion"])
    stale_replace = status_of(lambda: objects.replace_namespaced_custom_object(*args, "py-crud", stale))
    deleted = objects.delete_namespaced_custom_object(*args, "py-crud")
    after_delete = status_of(lambda: objects.get_namespaced_custom_object(*args, "py-crud"))
    return {
        "created": {
            "kind": created["kind"],
            "uid": created["metadata"].get("uid"),
            "resourceVersion": created["metadata"].get("resourceVersion"),
        },
        "duplicateCreate": duplicate,
        "got": {"uid": got["metadata"].get("uid"), "clientID": got["spec"]["clientID"]},
        "listed": [item["metadata"]["name"] for item in listed["items"]],
        "patchedClientID": patched["spec"]["clientID"],
        "patchedResourceVersionChanged": patched["metadata"]["resourceVersion"]
        != created["metadata"]["resourceVersion"],
        "replacedClientID": replaced["spec"]["clientID"],
        "staleReplace": stale_replace,
        "deleteAnswer": {"kind": deleted.get("kind"), "name": deleted.get("metadata", {}).get("name")},
        "afterDelete": after_delete,
    }


def paging(api, namespace):
    core = client.CoreV1Api(api)
    for index in range(5):
        core.create_namespaced_config_map(
            namespace,
            client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"page-{index}"), data={"index": str(index)}),
        )
    pages = []
    remaining = []
    token = None
    while True:
        kwargs = {"limit": 2}
        if token:
            kwargs["_continue"] = token
        page = core.list_namespaced_config_map(namespace, **kwargs)
        pages.append([item.metadata.name for item in page.items])
        remaining.append(page.metadata.remaining_item_count)
        token = page.metadata._continue
        if not token or len(pages) > 10:
            break
    bad_token = status_of(lambda: core.list_namespaced_config_map(namespace, limit=2, _continue="not-a-token"))
    return {"pages": pages, "remaining": remaining, "lastContinue": token, "badContinue": bad_token}


def selectors(api, namespace):
    core = client.CoreV1Api(api)
    pods = [
        ("web-front", {"app": "web", "tier": "frontend"}, "node-a"),
        ("web-back", {"app": "web", "tier": "backend"}, "node-b"),
        ("db", {"app": "db"}, "node-b"),
    ]
    for name, labels, node in pods:
        core.create_namespaced_pod(
            namespace,
            client.V1Pod(
                metadata=client.V1ObjectMeta(name=name, labels=labels),
                spec=client.V1PodSpec(node_name=node, containers=[client.V1Container(name="app", image="busybox")]),
            ),
        )

    def names(**kwargs):
        return sorted(pod.metadata.name for pod in core.list_namespaced_pod(namespace, **kwargs).items)

    return {
        "app=web": names(label_selector="app=web"),
        "app=web,tier!=backend": names(label_selector="app=web,tier!=backend"),
        "tier in (frontend,backend)": names(label_selector="tier in (frontend,backend)"),
        "!tier": names(label_selector="!tier"),
        "tier": names(label_selector="tier"),
        "metadata.name=db": names(field_selector="metadata.name=db"),
        "spec.nodeName=node-b": names(field_selector="spec.nodeName=node-b"),
        "spec.nodeName=node-b,app=web": names(field_selector="spec.nodeName=node-b", label_selector="app=web"),
        "spec.nodeName!=node-b": names(field_selector="spec.nodeName!=node-b"),
        "badLabelSelector": status_of(lambda: core.list_namespaced_pod(namespace, label_selector="app in (web")),
        "unknownField": status_of(lambda: core.list_namespaced_pod(namespace, field_selector="spec.color=blue")),
    }


def collect(stream_watch, stream, count):
    """Events from a watch stream until `count` arrived (or the server ended the stream)."""
    events = []
    for event in stream:
        events.append({"type": event["type"], "name": event["object"]["metadata"]["name"]})
        if len(events) >= count:
            stream_watch.stop()
            break
    return events


def watch_resume(api, namespace):
    objects = client.CustomObjectsApi(api)
    args = (GROUP, VERSION, namespace, PLURAL)
    objects.create_namespaced_custom_object(*args, identity("before-watch", "44444444-4444-4444-4444-444444444444"))
    listed = objects.list_namespaced_custom_object(*args)
    list_version = listed["metadata"]["resourceVersion"]
    objects.create_namespaced_custom_object(*args, identity("watched-1", "55555555-5555-5555-5555-555555555555"))
    objects.create_namespaced_custom_object(*args, identity("watched-2", "66666666-6666-6666-6666-666666666666"))

    # A watch from the list's resourceVersion replays what changed after the list, and nothing before it.
    first = watch.Watch()
    first_events = collect(
        first,
        first.stream(
            objects.list_namespaced_custom_object, *args, resource_version=list_version, timeout_seconds=WATCH_SECONDS
        ),
        2,
    )
    resume_from = first.resource_version

    # Changes while nobody watches...
    objects.patch_namespaced_custom_object(*args, "watched-1", {"metadata": {"labels": {"changed": "yes"}}})
    objects.delete_namespaced_custom_object(*args, "watched-2")

    # ...are delivered when the watch resumes from the last resourceVersion it saw.
    second = watch.Watch()
    second_events = collect(
        second,
        second.stream(
            objects.list_namespaced_custom_object, *args, resource_version=resume_from, timeout_seconds=WATCH_SECONDS
        ),
        2,
    )
    return {
        "listVersion": list_version,
        "firstEvents": first_events,
        "resumedFrom": resume_from,
        "secondEvents": second_events,
    }


SCENARIOS = {"crd-crud": crd_crud, "paging": paging, "selectors": selectors, "watch-resume": watch_resume}


def main():
    scenario, kubeconfig, namespace = sys.argv[1:4]
    api = config.new_client_from_config(config_file=kubeconfig)
    try:
        result = SCENARIOS[scenario](api, namespace)
    except Exception as error:  # reported to the suite, which fails with it
        result = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()[-2000:]}
    finally:
        api.close()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
