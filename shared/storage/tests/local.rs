//! The pieces' store on the local file system (the demo's): bytes come back as stored with
//! their SHA-256; keys are ids only, tenant first; another tenant's id finds nothing; a
//! removal is idempotent.

#![expect(clippy::unwrap_used, reason = "tests")]

use bytes::Bytes;
use napoleon_kernel::TenantId;
use napoleon_storage::{PieceStore, StorageError, Stored};
use uuid::Uuid;

#[tokio::test]
async fn bytes_come_back_whole_and_only_to_their_tenant() {
    let dir = std::env::temp_dir().join(format!("napoleon-storage-{}", Uuid::new_v4()));
    let store = PieceStore::local(&dir).unwrap();
    let (a, b) = (TenantId::new(), TenantId::new());
    let piece = Uuid::new_v4();
    let content = Bytes::from_static(b"%PDF-1.7 memoire");
    let stored = store.put(a, piece, content.clone()).await.unwrap();
    assert_eq!(
        stored,
        Stored {
            // `printf '%s' '%PDF-1.7 memoire' | sha256sum`
            sha256: "048ad3abf9e9ed6459217767dbd28b7c7c45ea7b4d55fccd7ede0581694cb25a".to_owned(),
            size: 16,
        }
    );
    assert_eq!(store.get(a, piece).await.unwrap(), content);
    // On disk: the tenant, then the piece, by ids.
    let file = dir
        .join("tenants")
        .join(a.as_uuid().to_string())
        .join("pieces")
        .join(piece.to_string());
    assert_eq!(std::fs::read(&file).unwrap(), content.as_ref());
    // Another tenant asking for the same id finds nothing.
    assert!(matches!(
        store.get(b, piece).await,
        Err(StorageError::NotFound)
    ));
    store.delete(a, piece).await.unwrap();
    store.delete(a, piece).await.unwrap();
    assert!(matches!(
        store.get(a, piece).await,
        Err(StorageError::NotFound)
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}
