"""A gateway recovered from the network alone (`basalt-gateway recover`, run by
app-tests/tests/s3_gateway.rs on a fresh index) serves what the gateway before it held:
the same buckets, the same objects with the same sizes and ETags, each readable in full
(a single-part object's bytes matching its MD5 ETag).

Usage: python recovered.py ENDPOINT ACCESS_KEY SECRET_KEY EXPECTED_JSON
EXPECTED_JSON is what common.print_left printed before the index was lost.
"""

import hashlib
import json
import sys

from common import check, client

expected = json.loads(sys.argv[4])
s3 = client()
buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
check("every bucket is recovered, the empty one too", sorted(buckets) == sorted(expected["buckets"]), buckets)
objects = {}
for bucket in buckets:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            objects[f"{bucket}/{o['Key']}"] = {"size": o["Size"], "etag": o["ETag"].strip('"')}
check(f"every object is recovered with its size and ETag ({len(objects)})", objects == expected["objects"])
for name, o in sorted(objects.items()):
    bucket, key = name.split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    whole = len(body) == o["size"] and ("-" in o["etag"] or hashlib.md5(body).hexdigest() == o["etag"])
    check(f"{name} reads back whole ({o['size']} bytes)", whole)
