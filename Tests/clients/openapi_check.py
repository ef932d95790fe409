"""The OpenAPI document as API tooling reads it: /api is a valid OpenAPI 3.0 document
(openapi-spec-validator), the landing page links it as service-desc, and a bounded schemathesis
run over every operation (but the endless event streams) with each given token finds no 5xx and
no answer outside the document (status, content type, schema, headers). Run by the Swift
end-to-end tests (OpenAPITests) against a live server on a data directory of its own (the run
writes): openapi_check.py BASE_URL TOKEN [TOKEN...]."""
import os
import shutil
import subprocess
import sys
import tempfile

import requests
from openapi_spec_validator import validate

base, tokens = sys.argv[1], sys.argv[2:]
headers = {"Authorization": f"Bearer {tokens[0]}"}

spec = requests.get(f"{base}/api", timeout=60)
assert spec.status_code == 200, spec.status_code
assert spec.headers["Content-Type"].startswith("application/vnd.oai.openapi+json"), spec.headers["Content-Type"]
validate(spec.json())
print(f"valid OpenAPI {spec.json()['openapi']}: {sum(len(v) for v in spec.json()['paths'].values())} operations")

landing = requests.get(f"{base}/", headers=headers, timeout=60).json()
desc = [l for l in landing["links"] if l["rel"] == "service-desc"]
assert len(desc) == 1 and desc[0]["href"] == f"{base}/api", desc
conformance = requests.get(f"{base}/conformance", timeout=60).json()["conformsTo"]
assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30" in conformance

st = os.path.join(os.path.dirname(sys.executable), "st")
checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"
# schemathesis keeps a cache in its working directory: not in the repository.
workdir = tempfile.mkdtemp(prefix="schemathesis-")
for token in tokens:
    run = subprocess.run(
        [st, "run", f"{base}/api", "-H", f"Authorization: Bearer {token}", "--exclude-path-regex", ".*/events$",
         "--checks", checks, "--max-examples", "15", "--seed", "1", "--request-timeout", "120",
         "--phases", "examples,coverage,fuzzing", "--no-color", "--warnings", "off"],
        capture_output=True, text=True, timeout=1200, cwd=workdir)
    summary = [l for l in run.stdout.splitlines() if "generated" in l or "ST1" in l or l.startswith("___")]
    print(f"schemathesis as {token.split('.')[0]}: exit {run.returncode}; " + "; ".join(s.strip() for s in summary))
    if run.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        print(run.stdout[-6000:])
        sys.exit(1)
shutil.rmtree(workdir, ignore_errors=True)
print("ok")
