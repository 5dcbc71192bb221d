//! The bundle's parts, scrubbed, in a `.tar.gz` written atomically (temporary file, rename).

use quarry_server::debug::scrub;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One file of the bundle, or why it is missing.
pub struct Part {
    pub name: String,
    pub what: String,
    pub body: Result<Vec<u8>, String>,
}

impl Part {
    pub fn new(name: &str, what: &str, body: Result<Vec<u8>, String>) -> Part {
        Part {
            name: name.into(),
            what: what.into(),
            body: body.and_then(|b| {
                if b.is_empty() {
                    Err("empty answer".into())
                } else {
                    Ok(b)
                }
            }),
        }
    }
}

/// Writes `parts` (each scrubbed of `secrets`) under the directory `top` in `out`. Files are
/// mode 0600: even scrubbed, a bundle describes an installation in detail.
pub fn write(out: &Path, top: &str, parts: &[Part], secrets: &[String]) -> anyhow::Result<u64> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let tmp: PathBuf = dir.join(format!(
        ".{}.tmp-{}",
        out.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> anyhow::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        for p in parts {
            let Ok(body) = &p.body else { continue };
            let text = scrub::scrub(&String::from_utf8_lossy(body), secrets);
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o600);
            h.set_mtime(now);
            h.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut h, format!("{top}/{}", p.name), text.as_bytes())?;
        }
        let gz = tar.into_inner()?;
        let mut file = gz.finish()?;
        file.flush()?;
        file.sync_all()?;
        std::fs::rename(&tmp, out)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    Ok(std::fs::metadata(out)?.len())
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time (UTC; civil-from-days, no calendar crate needed).
pub fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_stamps() {
        assert_eq!(super::utc_stamp(0), "19700101T000000Z");
        assert_eq!(super::utc_stamp(1_709_210_096), "20240229T123456Z");
    }
}
