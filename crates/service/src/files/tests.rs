//! Checking uploads by content and size: real headers, disguised files, limits, messages.

use super::*;

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9,
];
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, b'I', b'H', b'D', b'R',
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE,
];
const ELF: &[u8] = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00";
const PE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in DOS mode";
const ZIP: &[u8] = b"PK\x03\x04\x14\x00\x00\x00\x08\x00invoice.pdf.exe";
const HTML: &[u8] = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";

fn limits() -> UploadLimits {
    UploadLimits::default()
}

#[test]
fn real_headers_are_recognised_with_or_without_a_declared_type() {
    for (bytes, ty, declared) in [
        (PDF, MediaType::Pdf, "application/pdf"),
        (JPEG, MediaType::Jpeg, "image/jpeg"),
        (PNG, MediaType::Png, "image/png"),
    ] {
        assert_eq!(check(&limits(), None, bytes), Ok(ty));
        assert_eq!(check(&limits(), Some(declared), bytes), Ok(ty));
        assert_eq!(
            check(&limits(), Some("application/octet-stream"), bytes),
            Ok(ty)
        );
        assert_eq!(check(&limits(), Some(""), bytes), Ok(ty));
    }
    // Header spelling varies: case, parameters, aliases.
    assert_eq!(
        check(&limits(), Some(" Application/PDF; name=\"a.pdf\""), PDF),
        Ok(MediaType::Pdf)
    );
    assert_eq!(
        check(&limits(), Some("image/jpg"), JPEG),
        Ok(MediaType::Jpeg)
    );
}

#[test]
fn programs_archives_and_pages_named_pdf_are_disguised() {
    for bytes in [ELF, PE, ZIP, HTML] {
        assert_eq!(
            check(&limits(), Some("application/pdf"), bytes),
            Err(FileError::Disguised)
        );
        assert_eq!(
            check(&limits(), Some("image/png"), bytes),
            Err(FileError::Disguised)
        );
    }
}

#[test]
fn an_allowed_type_declared_as_another_is_disguised() {
    assert_eq!(
        check(&limits(), Some("image/jpeg"), PNG),
        Err(FileError::Disguised)
    );
    assert_eq!(
        check(&limits(), Some("application/pdf"), JPEG),
        Err(FileError::Disguised)
    );
    assert_eq!(
        check(&limits(), Some("text/html"), PDF),
        Err(FileError::Disguised)
    );
}

#[test]
fn unknown_content_is_unsupported() {
    for bytes in [ELF, PE, ZIP, HTML, b"plain text".as_slice()] {
        assert_eq!(
            check(&limits(), None, bytes),
            Err(FileError::UnsupportedType)
        );
        assert_eq!(
            check(&limits(), Some("application/zip"), bytes),
            Err(FileError::UnsupportedType)
        );
    }
    // The signature must be at the very start.
    let shifted = [b" ".as_slice(), PDF].concat();
    assert_eq!(
        check(&limits(), None, &shifted),
        Err(FileError::UnsupportedType)
    );
    // A truncated signature is not the type.
    assert_eq!(
        check(&limits(), None, &PNG[..7]),
        Err(FileError::UnsupportedType)
    );
}

#[test]
fn empty_files_are_refused_whatever_they_claim() {
    assert_eq!(check(&limits(), None, b""), Err(FileError::Empty));
    assert_eq!(
        check(&limits(), Some("application/pdf"), b""),
        Err(FileError::Empty)
    );
}

#[test]
fn the_limit_is_the_largest_accepted_size() {
    let small = UploadLimits { max_bytes: 1024 };
    let mut at_limit = PNG.to_vec();
    at_limit.resize(1024, 0);
    assert_eq!(check(&small, None, &at_limit), Ok(MediaType::Png));
    at_limit.push(0);
    assert_eq!(
        check(&small, Some("image/png"), &at_limit),
        Err(FileError::TooLarge { max: 1024 })
    );

    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    assert_eq!(
        check(&limits(), None, &big),
        Err(FileError::TooLarge {
            max: 10 * 1024 * 1024
        })
    );
    big.pop();
    assert_eq!(check(&limits(), None, &big), Ok(MediaType::Pdf));
}

#[test]
fn messages_and_codes_are_stable() {
    let cases = [
        (FileError::Empty, "file.empty", "所选文件为空"),
        (
            FileError::TooLarge { max: 10 * MIB },
            "file.too_large",
            "所选文件必须小于 10MB",
        ),
        (
            FileError::UnsupportedType,
            "file.unsupported_type",
            "所选文件必须是 JPG、PNG 或 PDF",
        ),
        (
            FileError::Disguised,
            "file.disguised",
            "所选文件的内容与文件类型不符",
        ),
    ];
    for (error, code, message) in cases {
        assert_eq!(error.code(), code);
        assert_eq!(error.to_string(), message);
        let service = ServiceError::from(error);
        assert_eq!(service.code(), code);
        assert_eq!(service.to_string(), message);
    }
    assert_eq!(
        FileError::TooLarge { max: 512 * 1024 }.to_string(),
        "所选文件必须小于 512KB"
    );
    assert_eq!(
        FileError::TooLarge { max: 100 }.to_string(),
        "所选文件必须小于 100 字节"
    );
}

#[test]
fn media_types_round_trip_through_their_names() {
    for ty in MediaType::ALL {
        assert_eq!(MediaType::parse(ty.as_str()), Some(ty));
    }
    assert_eq!(MediaType::parse("application/zip"), None);
}

#[test]
fn actors_are_recorded_by_account_never_by_name() {
    assert_eq!(
        actor_ref(&Actor::Staff {
            account: "clerk-7".into(),
            role: "window_clerk".into()
        }),
        "staff:clerk-7"
    );
    assert_eq!(
        actor_ref(&Actor::Applicant {
            account: "a-1".into()
        }),
        "applicant:a-1"
    );
    assert_eq!(actor_ref(&Actor::System), "system");
}
