//! Material files (材料): an upload is checked by its content (type and size), stored once under
//! a keyed hash of its content, sealed like other personal data, and then given as a material of
//! a case — for the whole application or for one item — as often as needed (一套材料).
//!
//! The type is decided by the file's first bytes ("magic bytes"), never by its name. A type the
//! browser declares is only compared with what the content is: a `.pdf` that is really a program,
//! an archive or a web page is refused as disguised. To allow another type or change the size
//! limit, change [`MediaType`] and [`UploadLimits`] here.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::catalog::ItemCode;
use domain::workflow::{Actor, CaseId, WorkflowError};

use crate::Platform;
use crate::error::ServiceError;
use crate::pii::{Place, Vault};
use crate::ports::{FileMeta, MaterialRow, SealedFile, Store};

const MIB: usize = 1024 * 1024;

/// Limits on uploaded files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// The largest accepted file, in bytes (the content, not the multipart request around it:
    /// the HTTP layer's body limit must leave room for the request's own overhead).
    pub max_bytes: usize,
}

impl Default for UploadLimits {
    /// 10 MiB: "所选文件必须小于 10MB".
    fn default() -> Self {
        Self {
            max_bytes: 10 * MIB,
        }
    }
}

/// The types of file accepted as materials: scans and photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    Pdf,
    Jpeg,
    Png,
}

impl MediaType {
    pub const ALL: [MediaType; 3] = [MediaType::Pdf, MediaType::Jpeg, MediaType::Png];

    /// The canonical media type (for `Content-Type` and for storage).
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
        }
    }

    /// A file name extension for downloads.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Pdf => "pdf",
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
        }
    }

    /// The type the content is, by its first bytes: `%PDF-` (PDF, at the very start), `FF D8 FF`
    /// (JPEG), `89 50 4E 47 0D 0A 1A 0A` (PNG). `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
        if bytes.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(MediaType::Png)
        } else {
            None
        }
    }

    /// A media type as written in a header (any case, parameters ignored, common aliases such
    /// as `image/jpg` accepted); `None` if it is not one of ours.
    pub fn parse(text: &str) -> Option<MediaType> {
        match essence(text).as_str() {
            "application/pdf" | "application/x-pdf" => Some(MediaType::Pdf),
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(MediaType::Jpeg),
            "image/png" | "image/x-png" => Some(MediaType::Png),
            _ => None,
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `type/subtype`, lower case, without parameters or spaces.
fn essence(text: &str) -> String {
    text.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Why an upload was refused. Nothing is stored when an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("所选文件为空")]
    Empty,
    #[error("所选文件必须小于 {}", size_label(.max))]
    TooLarge { max: usize },
    #[error("所选文件必须是 JPG、PNG 或 PDF")]
    UnsupportedType,
    /// The declared type (from the file name or the browser) disagrees with the content.
    #[error("所选文件的内容与文件类型不符")]
    Disguised,
}

impl FileError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::Empty => "file.empty",
            FileError::TooLarge { .. } => "file.too_large",
            FileError::UnsupportedType => "file.unsupported_type",
            FileError::Disguised => "file.disguised",
        }
    }
}

/// "10MB", "512KB" or "100 字节", as people read sizes.
fn size_label(bytes: &usize) -> String {
    match *bytes {
        b if b >= MIB && b % MIB == 0 => format!("{}MB", b / MIB),
        b if b >= 1024 && b % 1024 == 0 => format!("{}KB", b / 1024),
        b => format!("{b} 字节"),
    }
}

/// Checks an upload and returns its type, sniffed from the content.
///
/// `declared` is the type the client sent (the multipart part's `Content-Type`); an empty value
/// and `application/octet-stream` declare nothing. Refused: an empty file; a file larger than
/// `limits.max_bytes`; content that is not PDF, JPEG or PNG ([`FileError::UnsupportedType`],
/// or [`FileError::Disguised`] if it was declared as one of them); content whose declared type
/// is a different one ([`FileError::Disguised`]).
pub fn check(
    limits: &UploadLimits,
    declared: Option<&str>,
    bytes: &[u8],
) -> Result<MediaType, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(FileError::TooLarge {
            max: limits.max_bytes,
        });
    }
    let declared = declared
        .map(essence)
        .filter(|d| !d.is_empty() && d != "application/octet-stream");
    match (MediaType::sniff(bytes), declared) {
        (Some(sniffed), None) => Ok(sniffed),
        (Some(sniffed), Some(d)) if MediaType::parse(&d) == Some(sniffed) => Ok(sniffed),
        (Some(_), Some(_)) => Err(FileError::Disguised),
        (None, Some(d)) if MediaType::parse(&d).is_some() => Err(FileError::Disguised),
        (None, _) => Err(FileError::UnsupportedType),
    }
}

/// An accepted upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The keyed content hash: the same bytes always get the same id.
    pub id: String,
    pub media_type: MediaType,
    pub size: u64,
    /// The same bytes were already stored (by anyone). For logs and metrics only: shown to an
    /// applicant it would tell them that someone else uploaded the same file.
    pub reused: bool,
}

/// A material of a case: which material, which file, for which item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialRef {
    /// The material code (`materials.toml`).
    pub material: String,
    pub file_id: String,
    pub media_type: MediaType,
    pub size: u64,
    /// The item it was given for; `None` for the whole application.
    pub item: Option<ItemCode>,
    pub added_at: DateTime<Utc>,
}

/// Who did something, for `created_by`/`added_by`: an account id, never a name.
pub fn actor_ref(actor: &Actor) -> String {
    match actor {
        Actor::Applicant { account } => format!("applicant:{account}"),
        Actor::Staff { account, .. } => format!("staff:{account}"),
        Actor::System => "system".to_owned(),
    }
}

fn content_place(id: &str) -> Place<'_> {
    Place {
        table: "files",
        column: "content",
        id,
    }
}

/// Runs CPU-heavy work (hashing, sealing or opening up to `max_bytes`) off the async workers.
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServiceError::Unexpected(format!("file work failed: {e}")))
}

impl<S: Store> Platform<S> {
    /// Checks an upload (see [`check`]) and stores it once: the same bytes get the same id and
    /// are stored only the first time. The content is sealed by the vault, bound to its row.
    /// A refused upload stores nothing.
    pub async fn upload_file(
        &self,
        actor: &Actor,
        declared: Option<&str>,
        bytes: &[u8],
    ) -> Result<StoredFile, ServiceError> {
        let media_type = check(&self.upload_limits, declared, bytes)?;
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let vault: Arc<Vault> = self.vault.clone();
        let content = bytes.to_vec();
        let (id, content) = off_thread(move || (vault.content_id(&content), content)).await?;
        if self.store.file_meta(&id).await?.is_some() {
            tracing::info!(file = %id, size, "upload already stored; reused");
            return Ok(StoredFile {
                id,
                media_type,
                size,
                reused: true,
            });
        }
        let vault = self.vault.clone();
        let place_id = id.clone();
        let sealed = off_thread(move || vault.seal(content_place(&place_id), &content)).await?;
        let stored = self
            .store
            .put_file(SealedFile {
                meta: FileMeta {
                    id: id.clone(),
                    media_type: media_type.as_str().to_owned(),
                    size,
                    created_at: self.clock.now(),
                    created_by: actor_ref(actor),
                },
                sealed,
            })
            .await?;
        tracing::info!(file = %id, size, media_type = %media_type, stored, "upload accepted");
        Ok(StoredFile {
            id,
            media_type,
            size,
            reused: !stored,
        })
    }

    /// What is known of a stored file without opening it (for permission checks: who uploaded it).
    pub async fn file_meta(&self, id: &str) -> Result<FileMeta, ServiceError> {
        self.store
            .file_meta(id)
            .await?
            .ok_or(ServiceError::NotFound("文件"))
    }

    /// A stored file, opened: its type and content. Personal data: callers check that the
    /// person may see it and audit the access. Serve it with its type, `X-Content-Type-Options:
    /// nosniff` and as an attachment: only its first bytes were checked.
    pub async fn file(&self, id: &str) -> Result<(MediaType, Vec<u8>), ServiceError> {
        let file = self
            .store
            .get_file(id)
            .await?
            .ok_or(ServiceError::NotFound("文件"))?;
        let media_type = MediaType::parse(&file.meta.media_type).ok_or_else(|| {
            ServiceError::Unexpected(format!("file {id} has media type {}", file.meta.media_type))
        })?;
        let vault = self.vault.clone();
        let place_id = id.to_owned();
        let sealed = file.sealed;
        let content = off_thread(move || vault.open(content_place(&place_id), &sealed))
            .await?
            .map_err(|e| ServiceError::Unexpected(format!("file {id}: {e}")))?;
        Ok((media_type, content))
    }

    /// Gives a stored file as a material of a case, for one of the case's items or (`item` is
    /// `None`) for the whole application. The material must be a type of the case's catalog;
    /// with an item, that item must be in the case and need this material. Giving the same file
    /// as the same material again changes nothing. Refused on a closed case.
    pub async fn attach_material(
        &self,
        actor: &Actor,
        case: &CaseId,
        material: &str,
        file_id: &str,
        item: Option<&ItemCode>,
    ) -> Result<(), ServiceError> {
        let view = self.case(case).await?;
        if view.case.status.is_final() {
            return Err(WorkflowError::CaseClosed(view.case.status.label()).into());
        }
        let catalog = self
            .catalogs
            .get(&self.store, &view.case.catalog_version)
            .await?;
        let Some(material_type) = catalog.materials.get(material) else {
            return Err(ServiceError::field(
                "material",
                "material.unknown",
                "所选材料类型不存在",
            ));
        };
        if let Some(code) = item {
            if view.case.item(code).is_none() {
                return Err(ServiceError::field(
                    "item",
                    "material.item_not_in_case",
                    format!("事项「{}」不在本办件中", catalog.item_name(code)),
                ));
            }
            let needed = catalog
                .item(code)
                .is_some_and(|i| i.materials.iter().any(|m| m.code == material));
            if !needed {
                return Err(ServiceError::field(
                    "material",
                    "material.not_needed",
                    format!(
                        "「{}」不需要提交「{}」",
                        catalog.item_name(code),
                        material_type.name
                    ),
                ));
            }
        }
        if self.store.file_meta(file_id).await?.is_none() {
            return Err(ServiceError::field(
                "file",
                "file.not_found",
                "所选文件不存在，请重新上传",
            ));
        }
        let added = self
            .store
            .attach(MaterialRow {
                case_id: case.clone(),
                material: material.to_owned(),
                file_id: file_id.to_owned(),
                item: item.map(ToString::to_string),
                added_by: actor_ref(actor),
                added_at: self.clock.now(),
            })
            .await?;
        tracing::info!(case = %case.0, material, file = %file_id, added, "material attached");
        Ok(())
    }

    /// The materials given for a case, in the order they were added.
    pub async fn case_materials(&self, case: &CaseId) -> Result<Vec<MaterialRef>, ServiceError> {
        let rows = self.store.list_for_case(case).await?;
        rows.into_iter()
            .map(|(row, meta)| -> Result<MaterialRef, ServiceError> {
                let media_type = MediaType::parse(&meta.media_type).ok_or_else(|| {
                    ServiceError::Unexpected(format!(
                        "file {} has media type {}",
                        meta.id, meta.media_type
                    ))
                })?;
                let item = row
                    .item
                    .map(|i| ItemCode::parse(&i))
                    .transpose()
                    .map_err(|e| ServiceError::Unexpected(format!("material item: {e}")))?;
                Ok(MaterialRef {
                    material: row.material,
                    file_id: row.file_id,
                    media_type,
                    size: meta.size,
                    item,
                    added_at: row.added_at,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
