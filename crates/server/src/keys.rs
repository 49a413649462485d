//! Encryption keys: generated key files in demo mode, given files in production.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use gm_crypto::{BlindIndexKey, DataKey, KeyId, Keyring};
use service::Vault;

use crate::cli::{Global, Mode};

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("无法读取密钥文件 {}", path.display()))
}

fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("无法写入密钥文件 {}", path.display()))?;
    restrict(path)
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
