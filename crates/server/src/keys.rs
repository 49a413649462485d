//! Encryption keys: generated key files in demo mode, given files in production.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use gm_crypto::{BlindIndexKey, DataKey, KeyId, Keyring};
use service::Vault;

use crate::cli::{Global, Mode};

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("无法读取密钥文件 {}", path.display()))
}

/// Writes a new key file whole or not at all. The text goes to a temporary file (created
/// 0600), is synced, and is renamed into place; then the directory is synced. A crash mid-write
/// therefore leaves no empty or torn key file (which would stop every later start-up), and a
/// key is on disk before any data sealed under it can be committed.
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    let tmp = dir.join(name);
    let failed = || format!("无法写入密钥文件 {}", path.display());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).with_context(failed)?;
    file.write_all(text.as_bytes()).with_context(failed)?;
    file.sync_all().with_context(failed)?;
    drop(file);
    // A temporary file left by an earlier crash kept its old permissions.
    restrict(&tmp)?;
    std::fs::rename(&tmp, path).with_context(failed)?;
    sync_dir(dir).with_context(failed)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("无法设置密钥文件权限 {}", path.display()))
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// The vault: keys from the given files, or (demo mode only) generated once in the data dir.
pub fn vault(global: &Global) -> anyhow::Result<Vault> {
    let keys = global.data_dir.join("keys");
    let (data_path, blind_path): (PathBuf, PathBuf) = match (
        global.mode,
        &global.data_key_file,
        &global.blind_index_key_file,
    ) {
        (_, Some(d), Some(b)) => (d.clone(), b.clone()),
        (Mode::Production, _, _) => {
            bail!(
                "生产模式必须提供加密密钥文件：--data-key-file 与 --blind-index-key-file（或 YJS_DATA_KEY_FILE、YJS_BLIND_INDEX_KEY_FILE）"
            )
        }
        (Mode::Demo, _, _) => {
            let d = keys.join("data-key.txt");
            let b = keys.join("blind-index-key.txt");
            if !d.exists() {
                let id = KeyId::new("demo-1").context("key id")?;
                write_new(&d, &DataKey::generate(id).to_key_file_string())?;
                tracing::info!(path = %d.display(), "generated a demo data key");
            }
            if !b.exists() {
                write_new(&b, &BlindIndexKey::generate().to_key_file_string())?;
                tracing::info!(path = %b.display(), "generated a demo blind-index key");
            }
            (d, b)
        }
    };
    let data = DataKey::parse_key_file(&read(&data_path)?)
        .with_context(|| format!("密钥文件 {} 格式错误", data_path.display()))?;
    let blind = BlindIndexKey::parse_key_file(&read(&blind_path)?)
        .with_context(|| format!("密钥文件 {} 格式错误", blind_path.display()))?;
    Ok(Vault::new(Keyring::new(data), blind))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::write_new;

    #[test]
    fn a_key_file_is_written_whole_over_the_leftover_of_a_crashed_attempt() {
        let dir = std::env::temp_dir().join(format!(
            "yjs-keys-{}",
            gm_crypto::random_bytes::<6>()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ));
        let path = dir.join("keys/data-key.txt");
        let tmp = dir.join("keys/data-key.txt.tmp");
        // What a crash in the middle of an earlier attempt left behind.
        std::fs::create_dir_all(tmp.parent().unwrap()).unwrap();
        std::fs::write(&tmp, "yijianshi-sm4-key v1\nid=de").unwrap();
        let key = gm_crypto::DataKey::generate(gm_crypto::KeyId::new("demo-1").unwrap());
        write_new(&path, &key.to_key_file_string()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, key.to_key_file_string());
        assert!(gm_crypto::DataKey::parse_key_file(&text).is_ok());
        assert!(!tmp.exists(), "the temporary file is renamed into place");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
