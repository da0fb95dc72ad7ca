//! Reads: header, whole shard or a shard for one uploader only, each checked against its
//! digest; corruption is queued for repair; leaf proofs for storage challenges.

use super::*;

impl ShardStore {
    /// The header of a stored shard, without reading or checking its data.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when the stored header is damaged (the shard is then marked
    /// for repair), or an engine error.
    pub fn head(&self, key: &ShardKey) -> Result<Option<(ShardHeader, [u8; 32])>, StoreError> {
        let k = key.encode();
        let Some(meta) = self.read(CF_META, &k, key)? else {
            return Ok(None);
        };
        let parsed = self.parse_meta(&meta, key)?;
        Ok(Some((parsed.header, parsed.uploader)))
    }

    /// Reads a shard and verifies it against its header.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when anything about it fails a check (it is then marked for
    /// repair and its bytes are not returned), or an engine error.
    pub fn get(&self, key: &ShardKey) -> Result<Option<StoredShard>, StoreError> {
        Ok(match self.get_if(key, |_| true)? {
            Lookup::Found(shard) => Some(shard),
            Lookup::Missing | Lookup::Withheld { .. } => None,
        })
    }

    /// Reads a shard's metadata and, when `read_now(uploader)` says yes, its data, verified
    /// as by [`Self::get`]; otherwise the data is left unread. The API uses it to serve a
    /// shard's own uploader in one call, and to consult the chain's ACL (which may wait on
    /// the network) before reading anybody else's data.
    ///
    /// # Errors
    ///
    /// As for [`Self::get`].
    pub fn get_if(
        &self,
        key: &ShardKey,
        read_now: impl FnOnce(&[u8; 32]) -> bool,
    ) -> Result<Lookup, StoreError> {
        let k = key.encode();
        let Some(meta) = self.read(CF_META, &k, key)? else {
            return Ok(Lookup::Missing);
        };
        let ParsedMeta {
            header,
            uploader,
            stored_at_ms,
            digest,
        } = self.parse_meta(&meta, key)?;
        if !read_now(&uploader) {
            return Ok(Lookup::Withheld { header, uploader });
        }
        let head = &meta[..HEADER_LEN];
        let data = PinnedValue::read(Arc::clone(&self.db), CF_SHARDS, &k)
            .map_err(|e| self.engine_error(key, e))?
            .ok_or_else(|| self.corrupt(key, "metadata present but shard data missing"))?;
        // The digest covers header ‖ data; hashed in place, from RocksDB's buffer.
        let checked = match digest {
            Some(digest) => {
                let mut hasher = blake3::Hasher::new();
                hasher.update(head);
                hasher.update(data.as_ref());
                (hasher.finalize().as_bytes() == &digest)
                    .then_some(())
                    .ok_or_else(|| "BLAKE3 digest of header and data does not match".to_string())
            }
            None => header.verify_data(data.as_ref()).map_err(|e| e.to_string()),
        };
        if let Err(why) = checked {
            return Err(self.corrupt(key, &why));
        }
        Ok(Lookup::Found(StoredShard {
            header,
            uploader,
            stored_at_ms,
            data: Bytes::from_owner(data),
        }))
    }

    /// Reads one record; a RocksDB checksum failure counts as corruption of `key`.
    pub(super) fn read(
        &self,
        cf: &str,
        k: &[u8; 38],
        key: &ShardKey,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.db
            .get_cf(self.cf(cf), k)
            .map_err(|e| self.engine_error(key, e))
    }

    /// An engine error on `key`'s records: a checksum failure is corruption of the shard.
    pub(super) fn engine_error(&self, key: &ShardKey, e: rocksdb::Error) -> StoreError {
        if e.kind() == rocksdb::ErrorKind::Corruption {
            self.corrupt(key, &format!("storage engine checksum: {e}"))
        } else {
            e.into()
        }
    }

    pub(super) fn parse_meta(&self, meta: &[u8], key: &ShardKey) -> Result<ParsedMeta, StoreError> {
        let parsed = matches!(meta.len(), META_LEN | META_LEN_NO_DIGEST)
            .then(|| ShardHeader::decode(meta))
            .transpose()
            .map_err(|e| self.corrupt(key, &format!("stored header: {e}")))?;
        match parsed {
            Some((header, rest)) if ShardKey::of(&header) == *key => {
                let uploader: [u8; 32] = rest[..32].try_into().expect("length checked");
                let at = u64::from_le_bytes(rest[32..40].try_into().expect("length checked"));
                Ok(ParsedMeta {
                    header,
                    uploader,
                    stored_at_ms: at,
                    digest: rest.get(40..72).map(|d| d.try_into().expect("32 bytes")),
                })
            }
            _ => Err(self.corrupt(key, "stored metadata is damaged")),
        }
    }

    /// Records `key` for repair and returns the error to report.
    pub(super) fn corrupt(&self, key: &ShardKey, why: &str) -> StoreError {
        tracing::error!(blob = %key.blob, chunk = key.chunk, shard = key.shard, why, "corrupt shard");
        if let Err(e) =
            self.db
                .put_cf_opt(self.cf(CF_REPAIR), key.encode(), why, &self.write_options())
        {
            tracing::error!(error = %e, "could not record the corrupt shard for repair");
        }
        StoreError::Corrupt(why.to_string())
    }

    /// Shards marked for repair, with the reason.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn repair_queue(&self) -> Result<Vec<(ShardKey, String)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(CF_REPAIR), IteratorMode::Start) {
            let (k, v) = item?;
            if let Some(key) = ShardKey::decode(&k) {
                out.push((key, String::from_utf8_lossy(&v).into_owned()));
            }
        }
        Ok(out)
    }

    /// The storage proof of leaf `leaf` of chunk `chunk` in column `shard`: the leaf, its
    /// path to the shard root, and the shard root's path to the column root (built from the
    /// headers of every chunk of the column this node holds).
    ///
    /// # Errors
    ///
    /// [`StoreError::OutOfRange`] when the shard, the leaf or another chunk of the column
    /// is missing; [`StoreError::Corrupt`] as for [`Self::get`].
    pub fn leaf_proof(&self, key: &ShardKey, leaf: u32) -> Result<LeafProof, StoreError> {
        let shard = self
            .get(key)?
            .ok_or_else(|| StoreError::OutOfRange("shard not stored here".into()))?;
        let layout = shard.header.layout;
        let leaf_size = layout.leaf_size() as usize;
        let tree = MerkleTree::over_shard(shard.data(), leaf_size);
        let mut path = tree.path(leaf as usize).ok_or_else(|| {
            StoreError::OutOfRange(format!("leaf {leaf} of {}", tree.leaf_count()))
        })?;
        let column = self.column_shard_roots(key, layout.chunk_count())?;
        let column_tree = MerkleTree::from_leaf_hashes(column);
        path.extend(
            column_tree
                .path(key.chunk as usize)
                .ok_or_else(|| StoreError::OutOfRange(format!("chunk {}", key.chunk)))?,
        );
        let start = leaf as usize * leaf_size;
        Ok(LeafProof {
            leaf: shard.data()[start..start + leaf_size].to_vec(),
            path,
            column_root: column_tree.root(),
        })
    }

    /// The root over the shard roots of every chunk of `key`'s column (shard index
    /// `key.shard` of `key.blob`), as the chain's `column_root`; `None` until every chunk of
    /// the column is stored here. The column's length comes from the stored shard's layout.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub fn column_root(&self, key: &ShardKey) -> Result<Option<[u8; 32]>, StoreError> {
        let Some((header, _)) = self.head(key)? else {
            return Ok(None);
        };
        match self.column_shard_roots(key, header.layout.chunk_count()) {
            Ok(roots) => Ok(Some(MerkleTree::from_leaf_hashes(roots).root())),
            Err(StoreError::OutOfRange(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The shard roots of chunks `0 .. chunk_count` of `key`'s column, from their headers.
    fn column_shard_roots(
        &self,
        key: &ShardKey,
        chunk_count: u32,
    ) -> Result<Vec<[u8; 32]>, StoreError> {
        let mut column = Vec::with_capacity(chunk_count as usize);
        for chunk in 0..chunk_count {
            let other = ShardKey { chunk, ..*key };
            let (header, _) = self.head(&other)?.ok_or_else(|| {
                StoreError::OutOfRange(format!("chunk {chunk} of the column is not stored here"))
            })?;
            column.push(header.shard_root);
        }
        Ok(column)
    }
}
