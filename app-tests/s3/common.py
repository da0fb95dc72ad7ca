"""What the S3 client suites share (app-tests/s3/*_suite.py): the gateway's address and
key from the command line, a boto3 client for it, and checks that print one line each
and stop the suite at the first failure."""

import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT, ACCESS_KEY, SECRET_KEY = sys.argv[1], sys.argv[2], sys.argv[3]


def client(access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        # A PUT is answered once its blobs are stored and registered: a 100 MiB single
        # PUT on a busy machine outlasts botocore's 60 s default read timeout.
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            signature_version="s3v4",
            connect_timeout=10,
            read_timeout=600,
        ),
    )


def check(name, condition, detail=""):
    if not condition:
        print(f"FAIL {name} {detail}", flush=True)
        sys.exit(1)
    print(f"ok   {name}", flush=True)


def error_code(call):
    """The S3 error code and HTTP status a call fails with (None when it succeeds)."""
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None


def print_left():
    """Prints, as one JSON line, every bucket, every object left in it (size and ETag) and
    every part of an upload in progress (size) for the Rust side to compare with the
    wallet's blobs on chain."""
    s3 = client()
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    objects, parts = {}, []
    for bucket in buckets:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in page.get("Contents", []):
                objects[f"{bucket}/{o['Key']}"] = {"size": o["Size"], "etag": o["ETag"].strip('"')}
        for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            listed = s3.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
            parts += [p["Size"] for p in listed.get("Parts", [])]
    print(json.dumps({"buckets": buckets, "objects": objects, "parts": parts}), flush=True)
