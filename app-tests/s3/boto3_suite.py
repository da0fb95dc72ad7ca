"""The S3 gateway as boto3 sees it (run by app-tests/tests/s3_gateway.rs against a local
network): buckets, objects small and large byte-exact, range reads, listings with prefix,
delimiter and pagination, user metadata and content type, presigned GET and PUT through
urllib, overwrite and delete, multipart uploads (5 MiB parts, completed and aborted),
CopyObject, DeleteObjects, and the refusals a client must get: a wrong secret, an unknown
key, an expired presigned URL, a missing bucket or key, parts out of order or too small.

Usage: python boto3_suite.py ENDPOINT ACCESS_KEY SECRET_KEY LARGE_MIB
Prints one line per check; exits non-zero at the first failure.
"""

import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request

from common import check, client, error_code

LARGE_MIB = int(sys.argv[4])

s3 = client()
BUCKET = "photos"

# Buckets.
s3.create_bucket(Bucket=BUCKET)
check("create bucket", BUCKET in [b["Name"] for b in s3.list_buckets()["Buckets"]])
s3.head_bucket(Bucket=BUCKET)
check("head bucket", True)
check(
    "a bucket twice",
    error_code(lambda: s3.create_bucket(Bucket=BUCKET))[0] == "BucketAlreadyOwnedByYou",
)
check("a missing bucket", error_code(lambda: s3.head_bucket(Bucket="nope"))[1] == 404)

# A small object, with user metadata and a content type.
small = b"hello, basalt\n" * 100
put = s3.put_object(
    Bucket=BUCKET,
    Key="notes/hello.txt",
    Body=small,
    ContentType="text/plain",
    Metadata={"colour": "blue", "owner": "carol"},
)
check("put small: ETag is the MD5", put["ETag"] == f'"{hashlib.md5(small).hexdigest()}"', put["ETag"])
got = s3.get_object(Bucket=BUCKET, Key="notes/hello.txt")
check("get small byte-exact", got["Body"].read() == small)
check("content type kept", got["ContentType"] == "text/plain", got["ContentType"])
check("metadata kept", got["Metadata"] == {"colour": "blue", "owner": "carol"}, got["Metadata"])
head = s3.head_object(Bucket=BUCKET, Key="notes/hello.txt")
check("head", head["ContentLength"] == len(small) and head["ETag"] == put["ETag"])
check(
    "a missing key",
    error_code(lambda: s3.get_object(Bucket=BUCKET, Key="notes/none"))[0] == "NoSuchKey",
)

# Range reads: first byte, last byte, middle, suffix, open-ended; past the end refused.
for header, want in [
    ("bytes=0-0", small[:1]),
    (f"bytes={len(small) - 1}-{len(small) - 1}", small[-1:]),
    ("bytes=100-299", small[100:300]),
    ("bytes=-17", small[-17:]),
    ("bytes=1390-", small[1390:]),
]:
    part = s3.get_object(Bucket=BUCKET, Key="notes/hello.txt", Range=header)
    check(f"range {header}", part["Body"].read() == want and part["ContentRange"].startswith("bytes "))
check(
    "a range past the end",
    error_code(lambda: s3.get_object(Bucket=BUCKET, Key="notes/hello.txt", Range="bytes=5000-6000"))[0]
    == "InvalidRange",
)

# An empty object.
s3.put_object(Bucket=BUCKET, Key="empty", Body=b"")
check("empty object", s3.get_object(Bucket=BUCKET, Key="empty")["Body"].read() == b"")

# A large object (several pieces when the gateway's piece size is smaller), byte-exact, and
# ranges across its pieces.
large = os.urandom(LARGE_MIB << 20)
started = time.monotonic()
s3.put_object(Bucket=BUCKET, Key="large.bin", Body=large)
put_s = time.monotonic() - started
started = time.monotonic()
body = s3.get_object(Bucket=BUCKET, Key="large.bin")["Body"].read()
get_s = time.monotonic() - started
check(f"put/get {LARGE_MIB} MiB byte-exact ({put_s:.1f} s / {get_s:.1f} s)", body == large)
middle = len(large) // 2
part = s3.get_object(Bucket=BUCKET, Key="large.bin", Range=f"bytes={middle - 1000}-{middle + 999}")
check("range across the middle of a large object", part["Body"].read() == large[middle - 1000 : middle + 1000])

# Listings: prefix, delimiter, pagination.
for key in ["docs/a.txt", "docs/b.txt", "docs/deep/c.txt", "img/x.png"]:
    s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
top = s3.list_objects_v2(Bucket=BUCKET, Delimiter="/")
check(
    "delimiter rolls up prefixes",
    [c["Prefix"] for c in top["CommonPrefixes"]] == ["docs/", "img/", "notes/"]
    and [o["Key"] for o in top["Contents"]] == ["empty", "large.bin"],
    json.dumps({"prefixes": top.get("CommonPrefixes"), "keys": [o["Key"] for o in top.get("Contents", [])]}),
)
docs = s3.list_objects_v2(Bucket=BUCKET, Prefix="docs/", Delimiter="/")
check(
    "prefix and delimiter",
    [o["Key"] for o in docs["Contents"]] == ["docs/a.txt", "docs/b.txt"]
    and [c["Prefix"] for c in docs["CommonPrefixes"]] == ["docs/deep/"],
)
keys, pages = [], 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, PaginationConfig={"PageSize": 2}):
    pages += 1
    keys += [o["Key"] for o in page.get("Contents", [])]
want = sorted(["docs/a.txt", "docs/b.txt", "docs/deep/c.txt", "empty", "img/x.png", "large.bin", "notes/hello.txt"])
check(f"pagination by 2 ({pages} pages)", keys == want and pages == 4, json.dumps(keys))
v1 = s3.list_objects(Bucket=BUCKET, Prefix="docs/", MaxKeys=2)
check("ListObjects (v1)", [o["Key"] for o in v1["Contents"]] == ["docs/a.txt", "docs/b.txt"] and v1["IsTruncated"])
owner = s3.list_buckets()["Owner"]["ID"]
check("ListObjects (v1) names each object's owner", all(o["Owner"]["ID"] == owner for o in v1["Contents"]))
plain = s3.list_objects_v2(Bucket=BUCKET, Prefix="docs/")
check("ListObjectsV2 names no owner unless asked", not any("Owner" in o for o in plain["Contents"]))
owned = s3.list_objects_v2(Bucket=BUCKET, Prefix="docs/", FetchOwner=True)
check("ListObjectsV2 with FetchOwner names the owner", all(o["Owner"]["ID"] == owner for o in owned["Contents"]))
versions = s3.list_object_versions(Bucket=BUCKET, Prefix="docs/")
check(
    "ListObjectVersions: each object is its one version, id null",
    [(v["Key"], v["VersionId"], v["IsLatest"]) for v in versions["Versions"]]
    == [(o["Key"], "null", True) for o in plain["Contents"]],
)
empty = s3.list_objects_v2(Bucket=BUCKET, Prefix="docs/", Delimiter="")
check(
    "an empty delimiter is no delimiter, and the answer names none",
    "Delimiter" not in empty and "CommonPrefixes" not in empty and len(empty["Contents"]) == 3,
    json.dumps({k: v for k, v in empty.items() if k in ("Delimiter", "CommonPrefixes")}),
)

# Presigned URLs through a plain HTTP client.
url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "notes/hello.txt"}, ExpiresIn=300)
check("presigned GET", urllib.request.urlopen(url).read() == small)
url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "presigned.txt"}, ExpiresIn=300)
request = urllib.request.Request(url, data=b"put through a presigned URL", method="PUT")
urllib.request.urlopen(request).read()
check("presigned PUT", s3.get_object(Bucket=BUCKET, Key="presigned.txt")["Body"].read() == b"put through a presigned URL")
expired = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "notes/hello.txt"}, ExpiresIn=1)
time.sleep(2)
try:
    urllib.request.urlopen(expired)
    check("an expired presigned URL is refused", False)
except urllib.error.HTTPError as e:
    body = e.read().decode()
    check("an expired presigned URL is refused", e.code == 403 and "<Code>AccessDenied</Code>" in body, body)

# Credentials that are not the gateway's.
wrong = error_code(lambda: client(secret_key="not-the-secret-0123456789").list_buckets())
check("a wrong secret", wrong == ("SignatureDoesNotMatch", 403), str(wrong))
unknown = error_code(lambda: client(access_key="NOSUCHKEY1234").list_buckets())
check("an unknown access key", unknown is not None and unknown[0] == "InvalidAccessKeyId", str(unknown))

# Overwrite, then delete; a non-empty bucket stays.
s3.put_object(Bucket=BUCKET, Key="img/x.png", Body=b"second version")
check("overwrite", s3.get_object(Bucket=BUCKET, Key="img/x.png")["Body"].read() == b"second version")
s3.delete_object(Bucket=BUCKET, Key="docs/deep/c.txt")
check(
    "delete",
    error_code(lambda: s3.head_object(Bucket=BUCKET, Key="docs/deep/c.txt"))[1] == 404,
)
s3.delete_object(Bucket=BUCKET, Key="docs/deep/c.txt")
check("delete of a missing key succeeds", True)
check("a non-empty bucket stays", error_code(lambda: s3.delete_bucket(Bucket=BUCKET))[0] == "BucketNotEmpty")
s3.create_bucket(Bucket="scratch")
s3.delete_bucket(Bucket="scratch")
check("an empty bucket goes", "scratch" not in [b["Name"] for b in s3.list_buckets()["Buckets"]])
# As S3 does, deleting a bucket with no object aborts its uploads in progress (the part's
# blob is deleted: the chain check after the suite counts the wallet's blobs).
s3.create_bucket(Bucket="scratch")
pending = s3.create_multipart_upload(Bucket="scratch", Key="never.bin")["UploadId"]
s3.upload_part(Bucket="scratch", Key="never.bin", UploadId=pending, PartNumber=1, Body=b"x" * 1024)
s3.delete_bucket(Bucket="scratch")
check(
    "a bucket with only an upload in progress goes, and the upload with it",
    error_code(lambda: s3.list_parts(Bucket="scratch", Key="never.bin", UploadId=pending))[0]
    in ("NoSuchBucket", "NoSuchUpload"),
)
# Left empty on purpose: recovery must find it (app-tests/tests/s3_gateway.rs).
s3.create_bucket(Bucket="kept-empty")

# Multipart with 5 MiB parts (the last one short): invisible until completed, then one
# object with S3's multipart ETag, its content type and metadata.
MIB5 = 5 << 20
data = os.urandom(12 << 20)
chunks = [data[i : i + MIB5] for i in range(0, len(data), MIB5)]
upload = s3.create_multipart_upload(
    Bucket=BUCKET, Key="multi.bin", ContentType="application/x-test", Metadata={"kind": "multipart"}
)["UploadId"]
parts = []
for number, chunk in enumerate(chunks, 1):
    etag = s3.upload_part(Bucket=BUCKET, Key="multi.bin", UploadId=upload, PartNumber=number, Body=chunk)["ETag"]
    parts.append({"PartNumber": number, "ETag": etag})
listed = s3.list_parts(Bucket=BUCKET, Key="multi.bin", UploadId=upload)["Parts"]
check("list parts", [(p["PartNumber"], p["Size"]) for p in listed] == [(1, MIB5), (2, MIB5), (3, 2 << 20)])
in_progress = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
check("list uploads", [(u["Key"], u["UploadId"]) for u in in_progress] == [("multi.bin", upload)])
check("invisible before completion", error_code(lambda: s3.head_object(Bucket=BUCKET, Key="multi.bin"))[1] == 404)
check(
    "parts out of order refused",
    error_code(
        lambda: s3.complete_multipart_upload(
            Bucket=BUCKET, Key="multi.bin", UploadId=upload, MultipartUpload={"Parts": parts[::-1]}
        )
    )[0]
    == "InvalidPartOrder",
)
done = s3.complete_multipart_upload(Bucket=BUCKET, Key="multi.bin", UploadId=upload, MultipartUpload={"Parts": parts})
md5s = b"".join(hashlib.md5(c).digest() for c in chunks)
check("multipart ETag", done["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-3"', done["ETag"])
got = s3.get_object(Bucket=BUCKET, Key="multi.bin")
check("multipart object byte-exact", got["Body"].read() == data)
check("multipart content type and metadata", got["ContentType"] == "application/x-test" and got["Metadata"] == {"kind": "multipart"})
part = s3.get_object(Bucket=BUCKET, Key="multi.bin", Range=f"bytes={MIB5 - 10}-{MIB5 + 9}")
check("range across two parts", part["Body"].read() == data[MIB5 - 10 : MIB5 + 10])

# A part below 5 MiB that is not the last is refused; an aborted upload leaves nothing.
upload = s3.create_multipart_upload(Bucket=BUCKET, Key="small-parts.bin")["UploadId"]
parts = [
    {"PartNumber": n, "ETag": s3.upload_part(Bucket=BUCKET, Key="small-parts.bin", UploadId=upload, PartNumber=n, Body=b"x" * 1000)["ETag"]}
    for n in (1, 2)
]
check(
    "a small part that is not the last",
    error_code(
        lambda: s3.complete_multipart_upload(
            Bucket=BUCKET, Key="small-parts.bin", UploadId=upload, MultipartUpload={"Parts": parts}
        )
    )[0]
    == "EntityTooSmall",
)
s3.abort_multipart_upload(Bucket=BUCKET, Key="small-parts.bin", UploadId=upload)
check("abort", s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == [])
check(
    "an aborted upload is gone",
    error_code(lambda: s3.list_parts(Bucket=BUCKET, Key="small-parts.bin", UploadId=upload))[0] == "NoSuchUpload",
)

# CopyObject: metadata copied, or replaced when asked.
s3.copy_object(Bucket=BUCKET, Key="notes/copy.txt", CopySource={"Bucket": BUCKET, "Key": "notes/hello.txt"})
copy = s3.get_object(Bucket=BUCKET, Key="notes/copy.txt")
check("copy byte-exact with its metadata", copy["Body"].read() == small and copy["Metadata"] == {"colour": "blue", "owner": "carol"})
s3.copy_object(
    Bucket=BUCKET,
    Key="notes/copy.txt",
    CopySource={"Bucket": BUCKET, "Key": "notes/copy.txt"},
    MetadataDirective="REPLACE",
    Metadata={"colour": "red"},
    ContentType="text/markdown",
)
head = s3.head_object(Bucket=BUCKET, Key="notes/copy.txt")
check("copy with metadata replaced", head["Metadata"] == {"colour": "red"} and head["ContentType"] == "text/markdown")

# DeleteObjects.
s3.put_object(Bucket=BUCKET, Key="tmp/1", Body=b"1")
s3.put_object(Bucket=BUCKET, Key="tmp/2", Body=b"2")
result = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "tmp/1"}, {"Key": "tmp/2"}, {"Key": "tmp/none"}]})
check("delete objects", sorted(d["Key"] for d in result["Deleted"]) == ["tmp/1", "tmp/2", "tmp/none"])
check("deleted objects are gone", "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="tmp/"))
