//! Material files on both engines: stored once by content, sealed at rest, refused uploads and
//! refused attachments storing nothing, and a case's materials read back as given.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod support;

use domain::catalog::ItemCode;
use domain::workflow::{Actor, CaseId};
use service::{MediaType, Platform, ServiceError, UploadLimits};
use sqlx::Row;
use store::Db;
use testkit::FakeClock;

const SECRET: &str = "SECRET-MATERIAL-1234";

/// The window clerk of the city service centre, as a principal.
fn window() -> service::auth::Principal {
    service::auth::Principal::Staff {
        account: "clerk-1".into(),
        role: domain::access::Role::WindowClerk,
        scope: domain::access::Scope("321300".into()),
    }
}

fn applicant() -> Actor {
    Actor::Applicant {
        account: "applicant-1".into(),
    }
}

fn clerk() -> Actor {
    Actor::Staff {
        account: "clerk-1".into(),
        role: "window_clerk".into(),
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG whose IDAT chunk carries `payload` as stored (uncompressed) bytes.
fn png(payload: &str) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    chunk(&mut out, b"IDAT", payload.as_bytes());
    chunk(&mut out, b"IEND", &[]);
    out
}

fn pdf(body: &str) -> Vec<u8> {
    format!("%PDF-1.7\n1 0 obj\n<< /Title ({body}) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM {table}"
    )))
    .fetch_one(db.pool())
    .await
    .unwrap()
    .try_get("n")
    .unwrap()
}

fn field_code(e: &ServiceError) -> &str {
    match e {
        ServiceError::Invalid(fields) => &fields[0].code,
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn submitted_case(p: &Platform<Db>, seq: u32, items: &[&str]) -> CaseId {
    let id = testkit::id_number("321302", "19800501", seq);
    let req = testkit::application(p.catalogs.current(), &id, "王小明", items, &[]);
    p.submit(&window(), req).await.unwrap().case_id
}

fn item(code: &str) -> ItemCode {
    ItemCode::parse(code).unwrap()
}

#[tokio::test]
async fn the_same_bytes_uploaded_twice_are_stored_once_and_open_back_identical() {
    for t in support::engines().await {
        let db = t.open(false, 4).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let bytes = png("the same scan");

        let first = p
            .upload_file(&applicant(), Some("image/png"), &bytes)
            .await
            .unwrap();
        assert!(!first.reused, "{:?}", t.engine);
        assert_eq!(first.media_type, MediaType::Png);
        assert_eq!(first.size, bytes.len() as u64);
        assert_eq!(first.id, p.vault.content_id(&bytes));
        assert_eq!(first.id.len(), 64);

        let second = p.upload_file(&clerk(), None, &bytes).await.unwrap();
        assert_eq!(second.id, first.id);
        assert!(second.reused, "{:?}", t.engine);
        assert_eq!(count(&db, "files").await, 1, "{:?}", t.engine);

        let (ty, opened) = p.file(&first.id).await.unwrap();
        assert_eq!(ty, MediaType::Png);
        assert_eq!(opened, bytes);
        // The first uploader is recorded, by account.
        assert_eq!(
            p.file_meta(&first.id).await.unwrap().created_by,
            "applicant:applicant-1"
        );

        // Different bytes are a different file.
        let other = p
            .upload_file(&applicant(), Some("application/pdf"), &pdf("其他材料"))
            .await
            .unwrap();
        assert_ne!(other.id, first.id);
        assert!(!other.reused);
        assert_eq!(count(&db, "files").await, 2);
        assert_eq!(p.file(&other.id).await.unwrap().1, pdf("其他材料"));

        assert!(matches!(
            p.file("0".repeat(64).as_str()).await,
            Err(ServiceError::NotFound(_))
        ));
        t.drop_db().await;
    }
}

#[tokio::test]
async fn the_raw_database_file_holds_no_uploaded_content() {
    for t in support::engines().await {
        let Some(path) = t.sqlite_file() else {
            continue;
        };
        let db = t.open(false, 2).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let bytes = png(&format!("{SECRET} {SECRET} {SECRET}"));
        assert!(String::from_utf8_lossy(&bytes).contains(SECRET));
        let stored = p
            .upload_file(&applicant(), Some("image/png"), &bytes)
            .await
            .unwrap();
        db.close().await;

        let mut raw = std::fs::read(&path).unwrap();
        raw.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        let haystack = String::from_utf8_lossy(&raw);
        assert!(
            !haystack.contains(SECRET),
            "found the file's content in the raw database file"
        );
        assert!(
            haystack.contains(&stored.id) && haystack.contains("image/png"),
            "the search does look at the data"
        );
    }
}

#[tokio::test]
async fn a_refused_upload_stores_nothing() {
    for t in support::engines().await {
        let db = t.open(false, 4).await;
        let clock = FakeClock::at("2026-11-30");
        let mut p = support::platform(db.clone(), &clock);
        p.upload_limits = UploadLimits { max_bytes: 4096 };
        let mut too_large = png("big");
        too_large.resize(4097, 0);
        let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
        for (declared, bytes, code) in [
            (Some("application/pdf"), Vec::new(), "file.empty"),
            (Some("image/png"), too_large, "file.too_large"),
            (Some("application/pdf"), elf, "file.disguised"),
            (Some("image/jpeg"), png("a png"), "file.disguised"),
            (None, html, "file.unsupported_type"),
        ] {
            let err = p
                .upload_file(&applicant(), declared, &bytes)
                .await
                .unwrap_err();
            assert_eq!(err.code(), code, "{:?}", t.engine);
            assert!(matches!(err, ServiceError::File(_)));
        }
        assert_eq!(count(&db, "files").await, 0, "{:?}", t.engine);
        t.drop_db().await;
    }
}

#[tokio::test]
async fn materials_attach_to_a_case_and_list_back_and_one_file_serves_many_cases() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let case = submitted_case(&p, 11, &["cert.new", "subsidy.nursing"]).await;
        let photo = png("照片");
        let id_card = pdf("身份证");
        let photo = p.upload_file(&applicant(), None, &photo).await.unwrap();
        let id_card = p.upload_file(&applicant(), None, &id_card).await.unwrap();

        p.attach_material(
            &applicant(),
            &case,
            "photo",
            &photo.id,
            Some(&item("cert.new")),
        )
        .await
        .unwrap();
        clock.advance(chrono::Duration::minutes(1));
        p.attach_material(&applicant(), &case, "id_card", &id_card.id, None)
            .await
            .unwrap();
        // Again, now for one item: the same file as the same material is already there.
        clock.advance(chrono::Duration::minutes(1));
        p.attach_material(
            &clerk(),
            &case,
            "id_card",
            &id_card.id,
            Some(&item("subsidy.nursing")),
        )
        .await
        .unwrap();

        let materials = p.case_materials(&case).await.unwrap();
        let listed: Vec<_> = materials
            .iter()
            .map(|m| {
                (
                    m.material.as_str(),
                    m.file_id.as_str(),
                    m.media_type,
                    m.size,
                    m.item.as_ref().map(ItemCode::as_str),
                )
            })
            .collect();
        assert_eq!(
            listed,
            vec![
                (
                    "photo",
                    photo.id.as_str(),
                    MediaType::Png,
                    photo.size,
                    Some("cert.new")
                ),
                (
                    "id_card",
                    id_card.id.as_str(),
                    MediaType::Pdf,
                    id_card.size,
                    None
                ),
            ],
            "{:?}",
            t.engine
        );
        assert_eq!(materials[0].added_at, testkit::morning("2026-11-30"));

        // Another case reuses the stored photo: still one row in `files`.
        let other = submitted_case(&p, 13, &["cert.new"]).await;
        p.attach_material(
            &applicant(),
            &other,
            "photo",
            &photo.id,
            Some(&item("cert.new")),
        )
        .await
        .unwrap();
        assert_eq!(p.case_materials(&other).await.unwrap().len(), 1);
        assert_eq!(count(&db, "files").await, 2);
        assert_eq!(count(&db, "case_materials").await, 3);
        t.drop_db().await;
    }
}

#[tokio::test]
async fn an_attachment_that_does_not_fit_the_case_is_refused_and_stores_nothing() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let case = submitted_case(&p, 15, &["cert.new"]).await;
        let file = p
            .upload_file(&applicant(), None, &png("证明"))
            .await
            .unwrap();
        let cert_new = item("cert.new");
        let fuel = item("fuel.subsidy");
        let missing = "f".repeat(64);

        let refusals = [
            ("passport", file.id.as_str(), None, "material.unknown"),
            (
                "bank_card",
                file.id.as_str(),
                Some(&cert_new),
                "material.not_needed",
            ),
            (
                "photo",
                file.id.as_str(),
                Some(&fuel),
                "material.item_not_in_case",
            ),
            ("photo", missing.as_str(), None, "file.not_found"),
        ];
        for (material, file_id, for_item, code) in refusals {
            let err = p
                .attach_material(&applicant(), &case, material, file_id, for_item)
                .await
                .unwrap_err();
            assert_eq!(field_code(&err), code, "{material}: {err}");
        }
        let err = p
            .attach_material(
                &applicant(),
                &CaseId("no-such-case".into()),
                "photo",
                &file.id,
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, ServiceError::NotFound(_)), "{err:?}");
        assert_eq!(count(&db, "case_materials").await, 0, "{:?}", t.engine);

        // A closed case takes no more materials.
        let intake = p.authorize_intake(&window(), &case).await.unwrap();
        p.refuse(&intake, "不再申请").await.unwrap();
        let err = p
            .attach_material(&applicant(), &case, "photo", &file.id, Some(&cert_new))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "case.closed");
        assert_eq!(count(&db, "case_materials").await, 0);
        t.drop_db().await;
    }
}
