-- Issue 42, finding 3: a blob is one owner's registration of some content, named by its id
-- (on Solana the Blob account's address, the program address of owner and CID; on NEAR
-- basalt_proof::blob_id of the two). Two owners may store the same content, so the CID names
-- a content, not a row: it stays indexed for `GET /v1/blobs?cid=`, no longer unique.
ALTER TABLE blobs DROP CONSTRAINT blobs_cid_key;
CREATE INDEX blobs_cid ON blobs (cid, address);
