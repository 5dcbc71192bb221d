//! Errors as one line with their causes, so a log line says why and not only what.

/// `e` followed by each of its sources, separated by `: `. A source whose text the message
/// already contains (errors that forward their source's text with `{0}`) is not repeated.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// [`error_chain`] of an `anyhow::Error` (which carries its context as sources).
pub fn display_chain(e: &anyhow::Error) -> String {
    error_chain(e.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_causes_without_repeating_them() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(io).context("reading quarry.toml");
        assert_eq!(display_chain(&e), "reading quarry.toml: no such file");
        let e = anyhow::anyhow!("outer: inner").context("top");
        assert_eq!(display_chain(&e), "top: outer: inner");
    }
}
