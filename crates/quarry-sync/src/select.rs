//! Which refs to index: glob matching on ref names, the default branch.

use crate::git::{GitRef, RefKind};

pub(crate) fn pick_default_branch(head: Option<&str>, refs: &[GitRef]) -> Option<String> {
    let branch = |n: &str| {
        refs.iter()
            .any(|r| r.kind == RefKind::Branch && r.name == n)
    };
    head.filter(|h| branch(h))
        .or(["main", "master"].into_iter().find(|n| branch(n)))
        .map(str::to_string)
        .or_else(|| {
            refs.iter()
                .find(|r| r.kind == RefKind::Branch)
                .map(|r| r.name.clone())
        })
}

pub(crate) fn filter_refs(
    refs: Vec<GitRef>,
    branch_globs: &[String],
    tag_globs: &[String],
) -> Vec<GitRef> {
    let matches = |globs: &[String], prefix: &str, name: &str| {
        globs.iter().any(|g| {
            let g = g.trim();
            glob_match(g.strip_prefix(prefix).unwrap_or(g), name)
        })
    };
    refs.into_iter()
        .filter(|r| match r.kind {
            RefKind::Branch => matches(branch_globs, "refs/heads/", &r.name),
            RefKind::Tag => matches(tag_globs, "refs/tags/", &r.name),
        })
        .collect()
}

/// Simple glob matching on ref names: `*` matches any run of characters, `/` included (as in
/// git refspecs: `release/*` matches `release/1.0` and `release/1.0/rc1`), `?` matches one
/// character, anything else matches itself.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative matching with backtracking to the last `*`: linear in practice.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == n[ni])) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*", "main"));
        assert!(glob_match("*", "release/1.0"));
        assert!(glob_match("release/*", "release/1.0"));
        assert!(glob_match("release/*", "release/1.0/rc1"));
        assert!(!glob_match("release/*", "release"));
        assert!(!glob_match("release/*", "prerelease/1"));
        assert!(glob_match("main", "main"));
        assert!(!glob_match("main", "main2"));
        assert!(glob_match("v1.?", "v1.2"));
        assert!(!glob_match("v1.?", "v1.22"));
        assert!(glob_match("*-stable", "6.1-stable"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "x"));
    }

    #[test]
    fn full_ref_name_patterns() {
        let refs = vec![
            GitRef {
                name: "release/1".into(),
                kind: RefKind::Branch,
                commit: "a".into(),
            },
            GitRef {
                name: "v1".into(),
                kind: RefKind::Tag,
                commit: "a".into(),
            },
        ];
        let got = filter_refs(refs.clone(), &["refs/heads/release/*".into()], &[]);
        assert_eq!(got, refs[..1]);
        let got = filter_refs(refs.clone(), &[], &["refs/tags/v*".into()]);
        assert_eq!(got, refs[1..]);
        assert!(filter_refs(refs, &[], &[]).is_empty());
    }

    #[test]
    fn default_branch_fallbacks() {
        let b = |n: &str| GitRef {
            name: n.into(),
            kind: RefKind::Branch,
            commit: "a".into(),
        };
        let refs = vec![b("dev"), b("master"), b("trunk")];
        assert_eq!(
            pick_default_branch(Some("trunk"), &refs).as_deref(),
            Some("trunk")
        );
        assert_eq!(
            pick_default_branch(Some("gone"), &refs).as_deref(),
            Some("master")
        );
        assert_eq!(
            pick_default_branch(None, &refs[..1]).as_deref(),
            Some("dev")
        );
        assert_eq!(pick_default_branch(Some("main"), &[]), None);
    }
}
