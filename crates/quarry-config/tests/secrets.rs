//! Secrets never appear in output. Its own test binary with one test: it sets a process
//! environment variable, which must not race with other threads reading the environment.

use std::path::Path;

use quarry_config::*;

fn check_env(text: &str, env: &[(&str, &str)]) -> Vec<String> {
    let env: EnvOverrides = env.iter().copied().collect();
    match load_str(Path::new("quarry.toml"), text, &env) {
        Ok(_) => Vec::new(),
        Err(diags) => diags.iter().map(ToString::to_string).collect(),
    }
}

fn load_env(text: &str, env: &[(&str, &str)]) -> Config {
    let env: EnvOverrides = env.iter().copied().collect();
    load_str(Path::new("/etc/quarry/quarry.toml"), text, &env).unwrap()
}

const FILE_SECRET: &str = "s3cr3t-from-a-file-8d1f";
const ENV_SECRET: &str = "s3cr3t-from-the-env-77a2";
const INLINE_SECRET: &str = "ghp_inline-s3cr3t-0c4e";

#[test]
fn secrets_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("hook-secret");
    std::fs::write(&secret_file, format!("{FILE_SECRET}\n")).unwrap();

    let text = format!(
        "[webhooks]\ngithub_secret = {{ env = \"QUARRY_TEST_HOOK_SECRET\" }}\ngitlab_token = {{ file = \"{}\" }}\n",
        secret_file.display()
    );
    let config = load_env(&text, &[]);
    let by_env = config.webhooks.github_secret.as_ref().unwrap();
    let by_file = config.webhooks.gitlab_token.as_ref().unwrap();

    // An environment variable's secret: this test binary's only test, so that setting a
    // variable races with no other thread reading the environment.
    std::env::set_var("QUARRY_TEST_HOOK_SECRET", ENV_SECRET);
    let a = by_env.resolve().unwrap();
    let b = by_file.resolve().unwrap();
    assert_eq!(a.expose(), ENV_SECRET);
    assert_eq!(b.expose(), FILE_SECRET, "the trailing newline is trimmed");

    let printed = [
        format!("{a:?} {a} {b:?} {b} {a:#?}"),
        format!("{by_env:?} {by_env} {by_file:?} {by_file}"),
        format!("{config:?}"),
        redacted(&config).to_string(),
        serde_json::to_string(&config).unwrap(),
    ]
    .join("\n");
    assert!(printed.contains("***"));
    assert!(
        printed.contains("QUARRY_TEST_HOOK_SECRET"),
        "references are shown"
    );
    for secret in [ENV_SECRET, FILE_SECRET] {
        assert!(!printed.contains(secret), "{secret} printed:\n{printed}");
    }
    assert_eq!(
        redacted(&config)["webhooks"]["github_secret"],
        serde_json::json!({ "env": "QUARRY_TEST_HOOK_SECRET" })
    );

    // Written inline, in the file or in a variable: rejected without repeating it.
    let diags = check_env(
        &format!("[[code_hosts]]\nkind = \"github\"\norgs = [\"a\"]\ntoken = \"{INLINE_SECRET}\"\n[[repos]]\nurl = \"https://{INLINE_SECRET}@git.example.com/a.git\"\n"),
        &[("QUARRY_WEBHOOKS__GITEA_SECRET", INLINE_SECRET), ("QUARRY_WEBHOK__X", INLINE_SECRET)],
    );
    assert_eq!(diags.len(), 4, "{diags:#?}");
    assert_eq!(
        diags[0],
        "quarry.toml:4:9: code_hosts[0].token: a secret must not be written in the configuration (its value is not shown here) — reference it instead: `token = { env = \"VARIABLE\" }` or `token = { file = \"/path/to/file\" }`"
    );
    assert_eq!(
        diags[1],
        "quarry.toml:6:7: repos[0].url: the URL contains credentials, which must not be written in the configuration (the URL is not shown) — remove it from the URL and give git the credentials another way (an SSH key, a credential helper)"
    );
    assert_eq!(
        diags[2],
        "env:QUARRY_WEBHOK__X:1:1: webhok.x: unknown configuration variable `QUARRY_WEBHOK__X` — remove it; a key's variable is QUARRY_ and the key path in upper case with `__` between levels, e.g. QUARRY_SEARCH__MAX_CONCURRENT"
    );
    assert_eq!(
        diags[3],
        "env:QUARRY_WEBHOOKS__GITEA_SECRET:1:1: webhooks.gitea_secret: a secret must not be written in the configuration (its value is not shown here) — reference it instead: `QUARRY_WEBHOOKS__GITEA_SECRET='{ env = \"VARIABLE\" }'` or `QUARRY_WEBHOOKS__GITEA_SECRET='{ file = \"/path/to/file\" }'`"
    );
    for d in &diags {
        assert!(!d.contains(INLINE_SECRET), "{d}");
    }

    // Errors name the variable or file, never the value.
    let multi_line = dir.path().join("two-lines");
    std::fs::write(&multi_line, format!("{FILE_SECRET}\nsecond line\n")).unwrap();
    let err = SecretRef::File(multi_line)
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("more than one line") && !err.contains(FILE_SECRET),
        "{err}"
    );
    let err = SecretRef::Env("QUARRY_TEST_UNSET_1f3".into())
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(err.contains("QUARRY_TEST_UNSET_1f3 is not set"), "{err}");
}
