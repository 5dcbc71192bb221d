//! Environment overrides: `QUARRY_` + the key path upper-cased with `__` between levels.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;
use toml::de::DeValue;

use crate::check::Problem;
use crate::diag::did_you_mean;
use crate::schema::{schema_types, SchemaView};
use crate::tree::{KeyPath, Node, NodeValue, Origin, Seg};

/// The prefix of every configuration variable.
pub const ENV_PREFIX: &str = "QUARRY_";

/// `QUARRY_` variables that are not configuration keys and are never diagnosed.
fn ignored(name: &str) -> bool {
    name == "QUARRY_DATA" || name.starts_with("QUARRY_TEST_")
}

/// The environment variable that overrides a key: `search.max_concurrent` →
/// `QUARRY_SEARCH__MAX_CONCURRENT`, `listen` → `QUARRY_LISTEN`.
pub fn env_var_for(key_path: &str) -> String {
    let mut name = String::from(ENV_PREFIX);
    name.push_str(
        &key_path
            .split('.')
            .collect::<Vec<_>>()
            .join("__")
            .to_uppercase(),
    );
    name
}

pub(crate) fn env_var_name(path: &KeyPath) -> String {
    let keys: Vec<&str> = path
        .0
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    env_var_for(&keys.join("."))
}

/// The `QUARRY_…` environment variables applied over the configuration file (other names are
/// ignored). Its `Debug` shows the names, not the values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvOverrides {
    vars: BTreeMap<String, String>,
}

impl fmt::Debug for EnvOverrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

impl EnvOverrides {
    /// No overrides.
    pub fn none() -> Self {
        EnvOverrides::default()
    }

    /// The process environment's `QUARRY_…` variables (values that are not UTF-8 are converted
    /// lossily).
    pub fn from_process() -> Self {
        std::env::vars_os()
            .filter_map(|(name, value)| {
                let name = name.into_string().ok()?;
                name.starts_with(ENV_PREFIX)
                    .then(|| (name, value.to_string_lossy().into_owned()))
            })
            .collect()
    }

    /// The variables `env` gives for every configuration key, and for every `QUARRY_…` name of
    /// the process environment (so that misspelt names there are diagnosed).
    pub fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let schema = crate::schema::schema();
        let view = SchemaView::new(&schema);
        let mut names: Vec<String> = settable(&view).into_keys().collect();
        names.extend(
            std::env::vars_os()
                .filter_map(|(name, _)| name.into_string().ok())
                .filter(|name| name.starts_with(ENV_PREFIX)),
        );
        names
            .into_iter()
            .filter_map(|name| env(&name).map(|value| (name, value)))
            .collect()
    }

    /// Sets a variable.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// The variable's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The names of the variables, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for EnvOverrides {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        EnvOverrides {
            vars: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .filter(|(k, _): &(String, String)| k.starts_with(ENV_PREFIX))
                .collect(),
        }
    }
}

/// Every key that a variable can set, by variable name: the keys of the tables, descending into
/// tables but not into lists (`repos`, `code_hosts` are set whole).
pub(crate) fn settable(view: &SchemaView<'_>) -> BTreeMap<String, Vec<String>> {
    fn walk(
        view: &SchemaView<'_>,
        schema: &Value,
        prefix: &[String],
        out: &mut BTreeMap<String, Vec<String>>,
    ) {
        for (key, prop) in view.properties(schema) {
            let mut path = prefix.to_vec();
            path.push(key.to_string());
            out.insert(env_var_for(&path.join(".")), path.clone());
            let resolved = view.resolve(prop).0;
            if resolved.get("properties").is_some() {
                walk(view, resolved, &path, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(view, view.resolve(view.root()).0, &[], &mut out);
    out
}

/// Applies the overrides to the parsed file. Problems: unknown configuration variables.
pub(crate) fn apply(
    root: &mut Node,
    env: &EnvOverrides,
    view: &SchemaView<'_>,
    problems: &mut Vec<Problem>,
) {
    let settable = settable(view);
    let root_schema = view.resolve(view.root()).0;
    let mut overrides: Vec<(&Vec<String>, &str, &str)> = Vec::new();
    for (name, value) in &env.vars {
        if !name.starts_with(ENV_PREFIX) || ignored(name) {
            continue;
        }
        if let Some(path) = settable.get(name) {
            overrides.push((path, name, value));
            continue;
        }
        let rest = &name[ENV_PREFIX.len()..];
        let top_level = settable
            .values()
            .filter(|p| p.len() == 1)
            .map(|p| p[0].to_uppercase())
            .collect::<Vec<_>>();
        let looks_like_config = rest.contains("__")
            || did_you_mean(rest, top_level.iter().map(String::as_str)).is_some();
        if !looks_like_config {
            continue;
        }
        let segments: Vec<String> = rest
            .to_lowercase()
            .split("__")
            .map(str::to_string)
            .collect();
        let path = KeyPath(segments.iter().cloned().map(Seg::Key).collect());
        let at = Origin::Env {
            var: name.clone(),
            span: 0..0,
        };
        let first_is_list = view
            .property(root_schema, &segments[0])
            .map(|p| schema_types(view.resolve(p).0) == ["array"])
            .unwrap_or(false);
        let (message, fix) = if first_is_list && segments.len() > 1 {
            let list_var = env_var_for(&segments[0]);
            (
                format!(
                    "`{name}` sets a key inside `{}`, whose entries cannot be set one key at a time from the environment",
                    segments[0]
                ),
                format!(
                    "set the whole list as a TOML array instead, e.g. {list_var}='[{{ url = \"https://git.example.com/app.git\" }}]'"
                ),
            )
        } else {
            let fix = match did_you_mean(name, settable.keys().map(String::as_str)) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!(
                    "remove it; a key's variable is {ENV_PREFIX} and the key path in upper case with `__` between levels, e.g. QUARRY_SEARCH__MAX_CONCURRENT"
                ),
            };
            (format!("unknown configuration variable `{name}`"), fix)
        };
        problems.push(Problem {
            path,
            at,
            message,
            fix,
        });
    }
    // Tables before their keys, so that QUARRY_SEARCH='{...}' and QUARRY_SEARCH__X both apply.
    overrides.sort_by_key(|(path, _, _)| path.len());
    for (path, name, raw) in overrides {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let schema = view.at_path(&keys);
        let key_path = KeyPath(path.iter().cloned().map(Seg::Key).collect());
        let node = env_node(name, raw, schema, &key_path, problems);
        let origin = Origin::Env {
            var: name.to_string(),
            span: 0..0,
        };
        // A value on the way that is not a table is already a problem of the file.
        root.set(&keys, node, &origin);
    }
}

/// A variable's value as a node: a TOML value when it parses as one and the key takes more than
/// strings; else the text as a string.
fn env_node(
    var: &str,
    raw: &str,
    schema: Option<&Value>,
    path: &KeyPath,
    problems: &mut Vec<Problem>,
) -> Node {
    let origin = |span: std::ops::Range<usize>| Origin::Env {
        var: var.to_string(),
        span,
    };
    let string_only = schema.is_some_and(|s| {
        schema_types(s) == ["string"]
            || s.get("oneOf").and_then(Value::as_array).is_some_and(|vs| {
                vs.iter()
                    .all(|v| v.get("const").is_some_and(Value::is_string))
            })
    });
    let quoted = raw.starts_with('"') || raw.starts_with('\'');
    if !string_only || quoted {
        if let Ok(value) = DeValue::parse(raw) {
            if !string_only || value.get_ref().is_str() {
                let mut errors = Vec::new();
                let node = Node::from_de(&value, &origin, &mut errors);
                for (at, message) in errors {
                    problems.push(Problem {
                        path: path.clone(),
                        at,
                        message,
                        fix: "write a number from -9223372036854775808 to 9223372036854775807"
                            .into(),
                    });
                }
                return node;
            }
        }
    }
    Node {
        value: NodeValue::String(raw.to_string()),
        origin: origin(0..raw.len()),
    }
}
