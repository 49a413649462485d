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
            // New keys for an existing embedded database would leave its personal data unreadable
            // and its blind index useless: refuse instead of quietly starting over.
            let db = global.data_dir.join("yijianshi.db");
            if global.database_url.is_none() && db.exists() && (!d.exists() || !b.exists()) {
                bail!(
                    "数据库 {} 已存在，但密钥文件缺失（{}）。新生成的密钥无法解密已有数据：请恢复密钥文件，或删除整个数据目录重新开始演示",
                    db.display(),
                    keys.display()
                );
            }
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
    let data = data_key(&data_path)?;
    let blind = BlindIndexKey::parse_key_file(&read(&blind_path)?)
        .with_context(|| format!("密钥文件 {} 格式错误", blind_path.display()))?;
    let mut keyring = Keyring::new(data);
    let mut retired = global.retired_data_key_files.clone();
    if global.mode == Mode::Demo {
        retired.extend(demo_retired(&keys)?);
    }
    for path in &retired {
        keyring
            .add_retired(data_key(path)?)
            .map_err(|e| anyhow::anyhow!("密钥文件 {} 与其他密钥重复：{e}", path.display()))?;
    }
    tracing::info!(
        current = keyring.current_id().as_str(),
        retired = retired.len(),
        "data keys loaded"
    );
    Ok(Vault::new(keyring, blind))
}

fn data_key(path: &Path) -> anyhow::Result<DataKey> {
    DataKey::parse_key_file(&read(path)?)
        .with_context(|| format!("密钥文件 {} 格式错误", path.display()))
}

/// The demo layout's retired keys: `<data-dir>/keys/retired/*.txt`.
fn demo_retired(keys: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir = keys.join("retired");
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("无法读取目录 {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    out.sort();
    Ok(out)
}

/// Writes a new data-key file; refuses to overwrite.
pub fn generate(out: &Path, id: &str) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} 已存在，不会覆盖", out.display());
    }
    let id = KeyId::new(id).map_err(|e| anyhow::anyhow!("密钥编号不合规：{e}"))?;
    write_new(out, &DataKey::generate(id).to_key_file_string())
}

/// Demo layout: retires the current data key and generates the next (`demo-<n+1>`).
pub fn rotate(global: &Global) -> anyhow::Result<String> {
    if global.mode != Mode::Demo || global.data_key_file.is_some() {
        bail!(
            "keys rotate 只用于演示模式的默认密钥目录。生产环境请用 keys generate 生成新密钥，配置为 data_key_file，并把旧密钥文件加入 retired_data_key_files"
        );
    }
    let keys = global.data_dir.join("keys");
    let current = keys.join("data-key.txt");
    let old = data_key(&current)?;
    let old_id = old.id().as_str().to_owned();
    let n = old_id
        .strip_prefix("demo-")
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(1);
    let retired = keys.join("retired").join(format!("{old_id}.txt"));
    if retired.exists() {
        bail!("{} 已存在", retired.display());
    }
    if let Some(dir) = retired.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    }
    std::fs::rename(&current, &retired)
        .with_context(|| format!("无法移动 {}", current.display()))?;
    let new_id = format!("demo-{}", n + 1);
    write_new(
        &current,
        &DataKey::generate(KeyId::new(&new_id).context("key id")?).to_key_file_string(),
    )?;
    Ok(new_id)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::write_new;

    #[test]
    fn a_key_file_is_written_whole_over_the_leftover_of_a_crashed_attempt() {
        let dir = std::env::temp_dir().join(format!(
            "yjs-keys-{}",
            gm_crypto::to_hex(&gm_crypto::random_bytes::<6>())
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
