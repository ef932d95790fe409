"""Reads /metrics as Prometheus does: fetches BASE_URL/metrics with the metrics token and parses
the text with prometheus-client's parser (which raises on anything malformed). Prints every
sample as JSON: [[name, {label: value}, value], ...]. Run by the Swift end-to-end tests
(MetricsTests): metrics_parse.py BASE_URL TOKEN."""
import json
import sys

import requests
from prometheus_client.parser import text_string_to_metric_families

base, token = sys.argv[1], sys.argv[2]
r = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=60)
if r.status_code != 200:
    sys.exit(f"/metrics answered {r.status_code}: {r.text[:300]}")
if not r.headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"):
    sys.exit(f"/metrics has content type {r.headers.get('Content-Type')}")
samples = []
for family in text_string_to_metric_families(r.text):
    for s in family.samples:
        samples.append([s.name, s.labels, s.value])
print(json.dumps(samples))
