"""The steps of the gateway crash test (app-tests/tests/s3_gateway.rs), run one at a time
while the test kills and restarts the gateway between them:

- `begin`: bucket `crash`; upload A of `big.bin` gets its part 1, upload B of `gone.bin`
  its part 1; the parts' bytes are kept in WORK_DIR.
- `part2`: sends upload A's part 2, during which the test kills the gateway (so this step
  is expected to fail).
- `finish` (after the restart): neither object is visible, both uploads are listed with
  their part 1; A's part 2 is sent again and A completed with the part 1 sent before the
  crash, read back byte-exact; B aborted;
  then prints what is left (common.print_left).

Usage: python crash_steps.py ENDPOINT ACCESS_KEY SECRET_KEY WORK_DIR STEP
"""

import json
import os
import sys

from common import check, client, error_code, print_left

WORK, STEP = sys.argv[4], sys.argv[5]
BUCKET = "crash"
PART_MIB = {1: 5, 2: 24}
s3 = client()


def part(upload, number):
    """The bytes of part `number` of upload `upload` ("a" or "b"), made once."""
    path = os.path.join(WORK, f"{upload}-{number}.bin")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(os.urandom(PART_MIB[number] << 20))
    with open(path, "rb") as f:
        return f.read()


def ids():
    with open(os.path.join(WORK, "uploads.json")) as f:
        return json.load(f)


def send(key, upload_id, number, data):
    return s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number, Body=data)["ETag"]


if STEP == "begin":
    s3.create_bucket(Bucket=BUCKET)
    a = s3.create_multipart_upload(Bucket=BUCKET, Key="big.bin")["UploadId"]
    b = s3.create_multipart_upload(Bucket=BUCKET, Key="gone.bin")["UploadId"]
    send("big.bin", a, 1, part("a", 1))
    send("gone.bin", b, 1, part("b", 1))
    with open(os.path.join(WORK, "uploads.json"), "w") as f:
        json.dump({"a": a, "b": b}, f)
    check("two uploads, each with its part 1", True)
elif STEP == "part2":
    send("big.bin", ids()["a"], 2, part("a", 2))
    print("part 2 was stored before the gateway was killed", flush=True)
elif STEP == "finish":
    a, b = ids()["a"], ids()["b"]
    for key in ["big.bin", "gone.bin"]:
        check(f"{key} is not visible after the crash", error_code(lambda: s3.head_object(Bucket=BUCKET, Key=key)) == ("404", 404))
    listed = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    check("the bucket lists no object", listed == [], listed)
    uploads = {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])}
    check("both uploads survive the crash", uploads == {a, b}, uploads)
    parts = s3.list_parts(Bucket=BUCKET, Key="big.bin", UploadId=a).get("Parts", [])
    check("part 1 of the upload survives the crash", [p["PartNumber"] for p in parts][:1] == [1], parts)
    etags = [parts[0]["ETag"], send("big.bin", a, 2, part("a", 2))]
    s3.complete_multipart_upload(
        Bucket=BUCKET,
        Key="big.bin",
        UploadId=a,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), etags)]},
    )
    body = s3.get_object(Bucket=BUCKET, Key="big.bin")["Body"].read()
    check("the upload completes after the restart, byte-exact", body == part("a", 1) + part("a", 2))
    s3.abort_multipart_upload(Bucket=BUCKET, Key="gone.bin", UploadId=b)
    check("the other upload aborts after the restart", error_code(lambda: s3.list_parts(Bucket=BUCKET, Key="gone.bin", UploadId=b)) == ("NoSuchUpload", 404))
    check("the aborted object never appears", error_code(lambda: s3.head_object(Bucket=BUCKET, Key="gone.bin")) == ("404", 404))
    print_left()
else:
    sys.exit(f"unknown step {STEP}")
