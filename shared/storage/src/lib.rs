//! Where pieces' bytes live: an `object_store` (the local file system under the demo's data
//! directory; an S3-compatible bucket in production), under **tenant-first keys made of ids
//! only** (`tenants/<tenant>/pieces/<piece>`): no part of a name an agent gave reaches a path,
//! and one tenant's objects are a prefix apart from another's. Metadata (the SHA-256 and size
//! computed here, the sniffed type, the scan status) lives in PostgreSQL under the owning
//! schema; this crate only stores and returns bytes.
//!
//! A write is atomic (`object_store`'s `put`: the object appears whole or not at all), so an
//! upload cut halfway stores nothing.

use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use napoleon_kernel::TenantId;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// An export's file crosses memory in parts of this size on its way to the store (S3's
/// smallest part is 5 MiB).
pub const EXPORT_PART_BYTES: usize = 8 << 20;

/// Why bytes could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No object under that key (in that tenant).
    #[error("no such object")]
    NotFound,
    /// The store failed (disk, network, credentials).
    #[error("object store: {0}")]
    Store(object_store::Error),
    /// The store could not be opened.
    #[error("object store configuration: {0}")]
    Config(String),
}

impl From<object_store::Error> for StorageError {
    fn from(error: object_store::Error) -> Self {
        match error {
            object_store::Error::NotFound { .. } => Self::NotFound,
            other => Self::Store(other),
        }
    }
}

/// The lowercase hex SHA-256 of `content`, as [`Stored::sha256`] records it.
#[must_use]
pub fn sha256_hex(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

/// The lowercase hex SHA-256 of everything `reader` yields, and its length, read once
/// (a file too large to hold: an import's).
///
/// # Errors
/// The reader's.
pub fn sha256_hex_of<R: std::io::Read>(mut reader: R) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut reader, &mut hasher)?;
    Ok((hex::encode(hasher.finalize()), size))
}

/// What a write stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    /// Their length.
    pub size: u64,
}

/// Where an S3-compatible bucket is, and its credentials.
#[derive(Clone, Copy)]
pub struct S3Settings<'a> {
    /// `https://s3.example.gouv.fr` (its scheme and port).
    pub endpoint: &'a str,
    /// The bucket.
    pub bucket: &'a str,
    /// Its region (`fr-par`; any value where the store ignores it).
    pub region: &'a str,
    /// The access key's id.
    pub access_key_id: &'a str,
    /// The access key's secret.
    pub secret_access_key: &'a str,
    /// Whether an `http://` endpoint is accepted (a store inside the cluster, or a test).
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Settings<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// What an import keeps in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportObject {
    /// The file the agent uploaded (kept until its import ends, for a retry to resume).
    File,
    /// The line-level report (CSV), for download.
    Report,
}

/// The pieces' object store (and imports' files).
#[derive(Debug, Clone)]
pub struct PieceStore {
    store: Arc<dyn ObjectStore>,
}

impl PieceStore {
    /// Objects as files under `dir` (created if missing): the demo's and the tests' store.
    ///
    /// # Errors
    /// [`StorageError::Config`] when the directory cannot be created or opened.
    pub fn local(dir: &FsPath) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StorageError::Config(format!("{}: {e}", dir.display())))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| StorageError::Config(e.to_string()))?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    /// Objects in an S3-compatible bucket (production: the ministry's object storage).
    ///
    /// # Errors
    /// [`StorageError::Config`] when the settings cannot make a client.
    pub fn s3(settings: &S3Settings<'_>) -> Result<Self, StorageError> {
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(settings.endpoint)
            .with_bucket_name(settings.bucket)
            .with_region(settings.region)
            .with_access_key_id(settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key)
            // Path-style URLs (`<endpoint>/<bucket>/<key>`): what S3-compatible stores serve.
            .with_virtual_hosted_style_request(false)
            .with_allow_http(settings.allow_http)
            .build()
            .map_err(|e| StorageError::Config(e.to_string()))?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    /// The key of `piece` in `tenant`: ids only, the tenant first.
    #[must_use]
    pub fn key(tenant: TenantId, piece: Uuid) -> Path {
        Path::from(format!("tenants/{}/pieces/{piece}", tenant.as_uuid()))
    }

    /// Stores `content` as `piece` of `tenant`, whole or not at all, and says what it stored.
    ///
    /// # Errors
    /// [`StorageError`] when the store fails.
    pub async fn put(
        &self,
        tenant: TenantId,
        piece: Uuid,
        content: Bytes,
    ) -> Result<Stored, StorageError> {
        let stored = Stored {
            sha256: sha256_hex(&content),
            size: u64::try_from(content.len()).unwrap_or(u64::MAX),
        };
        self.store
            .put(&Self::key(tenant, piece), PutPayload::from(content))
            .await?;
        Ok(stored)
    }

    /// The bytes of `piece` of `tenant` ([`StorageError::NotFound`] for another tenant's).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn get(&self, tenant: TenantId, piece: Uuid) -> Result<Bytes, StorageError> {
        Ok(self
            .store
            .get(&Self::key(tenant, piece))
            .await?
            .bytes()
            .await?)
    }

    /// The key of an import's object in `tenant` (the uploaded file, or its report): ids
    /// only, the tenant first. `id` is the import's job.
    #[must_use]
    pub fn import_key(tenant: TenantId, id: Uuid, object: ImportObject) -> Path {
        let suffix = match object {
            ImportObject::File => "",
            ImportObject::Report => ".rapport.csv",
        };
        Path::from(format!("tenants/{}/imports/{id}{suffix}", tenant.as_uuid()))
    }

    /// Stores an import's object.
    ///
    /// # Errors
    /// [`StorageError`] when the store fails.
    pub async fn put_import(
        &self,
        tenant: TenantId,
        id: Uuid,
        object: ImportObject,
        content: Bytes,
    ) -> Result<(), StorageError> {
        self.store
            .put(
                &Self::import_key(tenant, id, object),
                PutPayload::from(content),
            )
            .await?;
        Ok(())
    }

    /// An import's object ([`StorageError::NotFound`] for another tenant's).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn get_import(
        &self,
        tenant: TenantId,
        id: Uuid,
        object: ImportObject,
    ) -> Result<Bytes, StorageError> {
        Ok(self
            .store
            .get(&Self::import_key(tenant, id, object))
            .await?
            .bytes()
            .await?)
    }

    /// Removes an import's object; removing what is not there is not an error.
    ///
    /// # Errors
    /// [`StorageError`] when the store fails.
    pub async fn delete_import(
        &self,
        tenant: TenantId,
        id: Uuid,
        object: ImportObject,
    ) -> Result<(), StorageError> {
        self.delete_key(&Self::import_key(tenant, id, object)).await
    }

    /// The key of an export's file in `tenant` (`id`: the export's job): ids only, the
    /// tenant first.
    #[must_use]
    pub fn export_key(tenant: TenantId, id: Uuid) -> Path {
        Path::from(format!("tenants/{}/exports/{id}", tenant.as_uuid()))
    }

    /// Stores the export file `file` (written whole on the local disk; read from its start)
    /// as export `id`, sent in parts of [`EXPORT_PART_BYTES`] as it is read: a file of any
    /// size crosses memory one part at a time. The object appears once every part arrived,
    /// or not at all. Its size.
    ///
    /// # Errors
    /// [`StorageError`] when the file cannot be read or the store fails (the parts sent
    /// are discarded).
    pub async fn put_export(
        &self,
        tenant: TenantId,
        id: Uuid,
        file: std::fs::File,
    ) -> Result<u64, StorageError> {
        use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
        let unreadable = |e: std::io::Error| StorageError::Config(format!("export file: {e}"));
        let mut source = tokio::fs::File::from_std(file);
        source
            .seek(std::io::SeekFrom::Start(0))
            .await
            .map_err(unreadable)?;
        let upload = self
            .store
            .put_multipart(&Self::export_key(tenant, id))
            .await?;
        let mut parts = WriteMultipart::new_with_chunk_size(upload, EXPORT_PART_BYTES);
        let mut buf = vec![0_u8; EXPORT_PART_BYTES];
        let mut size = 0_u64;
        loop {
            let read = match source.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let _ = parts.abort().await;
                    return Err(unreadable(e));
                }
            };
            // At most two parts in flight: memory stays bounded whatever the file's size.
            if let Err(e) = parts.wait_for_capacity(2).await {
                let _ = parts.abort().await;
                return Err(e.into());
            }
            parts.write(buf.get(..read).unwrap_or_default());
            size += read as u64;
        }
        // Every part arrived before the upload completes; a part that failed aborts it, so
        // that no half-sent file of personal data lingers in the bucket.
        if let Err(e) = parts.wait_for_capacity(0).await {
            let _ = parts.abort().await;
            return Err(e.into());
        }
        parts.finish().await?;
        Ok(size)
    }

    /// Export `id`'s file as a stream of bytes, with its size ([`StorageError::NotFound`]
    /// for another tenant's, or one removed).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn export_stream(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, object_store::Error>>), StorageError> {
        let found = self.store.get(&Self::export_key(tenant, id)).await?;
        Ok((found.meta.size, found.into_stream()))
    }

    /// The exports of `tenant` whose file was written before `before` (their ids).
    ///
    /// # Errors
    /// [`StorageError`] when the store cannot be listed.
    pub async fn exports_before(
        &self,
        tenant: TenantId,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Uuid>, StorageError> {
        use futures_util::StreamExt as _;
        let prefix = Path::from(format!("tenants/{}/exports", tenant.as_uuid()));
        let mut listed = self.store.list(Some(&prefix));
        let mut old = Vec::new();
        while let Some(meta) = listed.next().await {
            let meta = meta?;
            if meta.last_modified < before
                && let Some(id) = meta
                    .location
                    .filename()
                    .and_then(|n| Uuid::parse_str(n).ok())
            {
                old.push(id);
            }
        }
        Ok(old)
    }

    /// Removes export `id`'s file; removing what is not there is not an error.
    ///
    /// # Errors
    /// [`StorageError`] when the store fails.
    pub async fn delete_export(&self, tenant: TenantId, id: Uuid) -> Result<(), StorageError> {
        self.delete_key(&Self::export_key(tenant, id)).await
    }

    /// Removes `piece` of `tenant`; removing what is not there is not an error.
    ///
    /// # Errors
    /// [`StorageError`] when the store fails.
    pub async fn delete(&self, tenant: TenantId, piece: Uuid) -> Result<(), StorageError> {
        self.delete_key(&Self::key(tenant, piece)).await
    }

    /// Removes the object at `key`; removing what is not there is not an error.
    async fn delete_key(&self, key: &Path) -> Result<(), StorageError> {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => Err(StorageError::Store(other)),
        }
    }
}
