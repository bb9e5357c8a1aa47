//! The blob store for materials (and later invoices): a local directory by
//! default, any S3-compatible store by configuration, through `object_store`.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::RaError;

#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
}

impl BlobStore {
    /// Files under `dir` (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<Self, RaError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            RaError::Blob(object_store::Error::Generic {
                store: "local",
                source: Box::new(e),
            })
        })?;
        let fs =
            object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(RaError::Blob)?;
        Ok(BlobStore {
            inner: Arc::new(fs),
        })
    }

    /// An S3 bucket (`s3://bucket`), credentials and endpoint from the usual
    /// `AWS_*` environment variables.
    pub fn s3(url: &str) -> Result<Self, RaError> {
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_url(url)
            .build()
            .map_err(RaError::Blob)?;
        Ok(BlobStore {
            inner: Arc::new(store),
        })
    }

    /// In memory, for tests.
    pub fn memory() -> Self {
        BlobStore {
            inner: Arc::new(object_store::memory::InMemory::new()),
        }
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), RaError> {
        self.inner
            .put(&Path::from(key), PutPayload::from_bytes(bytes))
            .await
            .map_err(RaError::Blob)?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, RaError> {
        let got = self
            .inner
            .get(&Path::from(key))
            .await
            .map_err(RaError::Blob)?;
        got.bytes().await.map_err(RaError::Blob)
    }

    pub async fn delete(&self, key: &str) -> Result<(), RaError> {
        self.inner
            .delete(&Path::from(key))
            .await
            .map_err(RaError::Blob)
    }
}
