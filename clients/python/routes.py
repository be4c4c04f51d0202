"""Fails unless every operation of the spec is in the generated Python client: a module
`api/<tag>/<operationId>` with `sync_detailed` and `asyncio_detailed`, whose request is the
spec's method and path. Usage: routes.py SPEC (the generated package on the path)."""

import importlib
import inspect
import json
import re
import sys

METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]


def snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()).strip("_")


spec = json.load(open(sys.argv[1], encoding="utf-8"))
missing, count = [], 0
for path, item in spec["paths"].items():
    for method in (m for m in METHODS if m in item):
        count += 1
        op = item[method]
        tag = snake((op.get("tags") or ["default"])[0])
        name = f"telework_registry_client.api.{tag}.{snake(op['operationId'])}"
        try:
            module = importlib.import_module(name)
        except ImportError:
            missing.append(f"{method.upper()} {path}: no module {name}")
            continue
        if not all(hasattr(module, f) for f in ("sync_detailed", "asyncio_detailed")):
            missing.append(f"{method.upper()} {path}: {name} has no sync_detailed/asyncio_detailed")
            continue
        request = inspect.getsource(module._get_kwargs)
        if f'"method": "{method}"' not in request or f'"url": "{path}"' not in request:
            missing.append(f"{method.upper()} {path}: {name} sends another request")
if missing:
    print(f"the Python client lacks {len(missing)} of {count} operations:\n  " + "\n  ".join(missing), file=sys.stderr)
    sys.exit(1)
print(f"ok   the Python client has all {count} operations of the spec")
