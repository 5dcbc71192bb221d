//! Checks the parsed tree against the JSON Schema: unknown keys (with a suggestion), types,
//! allowed values, ranges, and the formats of strings (durations, sizes, addresses, log filters,
//! URLs). Every problem is collected, and the value concerned is marked for removal so that the
//! rest can still be deserialized and validated.

use std::net::SocketAddr;
use std::path::Path;

use serde_json::Value;

use crate::diag::did_you_mean;
use crate::env::env_var_name;
use crate::schema::{schema_types, SchemaView};
use crate::tree::{kind_name, Entry, KeyPath, Node, NodeValue, Origin, Seg};
use crate::units::{
    parse_byte_size, parse_duration, DURATION_HELP, FORMAT_BYTE_SIZE, FORMAT_DURATION,
    FORMAT_LOG_FILTER, FORMAT_SOCKET_ADDRESS, FORMAT_URL, SIZE_HELP,
};

/// A problem found in the tree, located at a key or value.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub path: KeyPath,
    pub at: Origin,
    pub message: String,
    pub fix: String,
}

#[derive(Debug, Default)]
pub(crate) struct Report {
    pub problems: Vec<Problem>,
    /// Values to remove before deserializing.
    pub prune: Vec<KeyPath>,
}

impl Report {
    fn add(&mut self, path: &KeyPath, at: &Origin, message: String, fix: String) {
        self.problems.push(Problem {
            path: path.clone(),
            at: at.clone(),
            message,
            fix,
        });
    }

    fn reject(&mut self, path: &KeyPath, at: &Origin, message: String, fix: String) {
        self.add(path, at, message, fix);
        self.prune.push(path.clone());
    }

    fn append(&mut self, other: Report) {
        self.problems.extend(other.problems);
        self.prune.extend(other.prune);
    }
}

pub(crate) struct Checker<'a> {
    view: SchemaView<'a>,
}

const SECRET_FIX: &str = "{ env = \"VARIABLE\" } or { file = \"/path/to/file\" }";
const LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace", "off"];

impl<'a> Checker<'a> {
    pub fn new(schema: &'a Value) -> Self {
        Checker {
            view: SchemaView::new(schema),
        }
    }

    pub fn check_root(&self, root: &Node) -> Report {
        let mut report = Report::default();
        self.check(root, self.view.root(), &KeyPath::default(), &mut report);
        report
    }

    fn check(&self, node: &Node, schema: &'a Value, path: &KeyPath, r: &mut Report) {
        let (schema, name) = self.view.resolve(schema);
        if name == Some("SecretRef") {
            return self.check_secret(node, path, r);
        }
        if name == Some("Visibility") {
            if let NodeValue::String(s) = &node.value {
                if s != "public" {
                    r.reject(
                        path,
                        &node.origin,
                        format!("unknown visibility `{s}`"),
                        "write \"public\", or a table { users = [...], groups = [...] } to show the repositories only to those users and groups".to_string(),
                    );
                }
                return;
            }
        }
        if let Some(variants) = self.view.variants(schema) {
            return self.check_variants(node, schema, &variants, path, r);
        }
        self.check_plain(node, schema, path, r);
    }

    fn check_plain(&self, node: &Node, schema: &'a Value, path: &KeyPath, r: &mut Report) {
        let types = schema_types(schema);
        if !types.is_empty() && !accepts(&types, &node.value) {
            let (expected, fix) = self.expectation(schema, path, &node.origin);
            r.reject(
                path,
                &node.origin,
                format!("expected {expected}, found {}", kind_name(&node.value)),
                fix,
            );
            return;
        }
        if let Some(allowed) = allowed_values(schema) {
            let ok = match &node.value {
                NodeValue::String(v) => allowed.iter().any(|a| a.as_str() == Some(v)),
                NodeValue::Boolean(v) => allowed.iter().any(|a| a.as_bool() == Some(*v)),
                NodeValue::Integer(v) => allowed.iter().any(|a| a.as_i64() == Some(*v)),
                _ => false,
            };
            if !ok {
                let list = allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                r.reject(
                    path,
                    &node.origin,
                    format!("expected one of {list}"),
                    format!("write one of {list}"),
                );
                return;
            }
        }
        match &node.value {
            NodeValue::Integer(i) => self.check_range(*i as f64, schema, node, path, r),
            NodeValue::Float(f) => {
                if !f.is_finite() {
                    r.reject(
                        path,
                        &node.origin,
                        format!("`{f}` is not a finite number"),
                        "write an ordinary number".into(),
                    );
                } else {
                    self.check_range(*f, schema, node, path, r);
                }
            }
            NodeValue::String(s) => self.check_format(s, schema, node, path, r),
            NodeValue::Table(entries) => self.check_table(node, entries, schema, path, r),
            NodeValue::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item, item_schema, &path.index(i), r);
                    }
                }
            }
            NodeValue::Boolean(_) | NodeValue::Datetime(_) => {}
        }
    }

    fn check_variants(
        &self,
        node: &Node,
        schema: &'a Value,
        variants: &[&'a Value],
        path: &KeyPath,
        r: &mut Report,
    ) {
        // Plain enumerations of strings.
        let consts: Option<Vec<&str>> = variants
            .iter()
            .map(|v| v.get("const").and_then(Value::as_str))
            .collect();
        if let Some(values) = consts {
            let list = values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ");
            match &node.value {
                NodeValue::String(s) if values.contains(&s.as_str()) => {}
                NodeValue::String(s) => {
                    let fix = match did_you_mean(s, values.iter().copied()) {
                        Some(m) => format!("did you mean `{m}`? (one of {list})"),
                        None => format!("use one of {list}"),
                    };
                    r.reject(path, &node.origin, format!("unknown value `{s}`"), fix);
                }
                other => r.reject(
                    path,
                    &node.origin,
                    format!("expected one of {list}, found {}", kind_name(other)),
                    "write one of them in double quotes".into(),
                ),
            }
            return;
        }

        // Tables told apart by a tag (`kind`).
        if let NodeValue::Table(entries) = &node.value {
            if let Some(tag) = discriminator(variants) {
                return self.check_tagged(node, entries, &tag, variants, path, r);
            }
        }

        // Anything else: the first variant that fits, else the problems of the closest one.
        let mut best: Option<Report> = None;
        for variant in variants {
            let mut trial = Report::default();
            self.check_plain(node, variant, path, &mut trial);
            if trial.problems.is_empty() {
                return;
            }
            if variant_accepts(variant, &node.value)
                && best
                    .as_ref()
                    .is_none_or(|b| trial.problems.len() < b.problems.len())
            {
                best = Some(trial);
            }
        }
        match best {
            Some(report) => r.append(report),
            None => {
                let expected = variants
                    .iter()
                    .map(|v| self.expectation(v, path, &node.origin).0)
                    .collect::<Vec<_>>()
                    .join(" or ");
                let fix = schema
                    .get("description")
                    .and_then(Value::as_str)
                    .map(|d| format!("see the reference: {}", one_line(d)))
                    .unwrap_or_default();
                r.reject(
                    path,
                    &node.origin,
                    format!("expected {expected}, found {}", kind_name(&node.value)),
                    fix,
                );
            }
        }
    }

    fn check_tagged(
        &self,
        node: &Node,
        entries: &[Entry],
        tag: &str,
        variants: &[&'a Value],
        path: &KeyPath,
        r: &mut Report,
    ) {
        let all: Vec<&str> = variants.iter().flat_map(|v| tag_values(v, tag)).collect();
        let list = all
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let Some(entry) = entries.iter().find(|e| e.key == tag) else {
            r.reject(
                path,
                &node.origin,
                format!("missing `{tag}`"),
                format!(
                    "add `{tag} = \"{}\"` or another of {list}",
                    all.first().copied().unwrap_or_default()
                ),
            );
            return;
        };
        let tag_path = path.child(tag);
        let NodeValue::String(value) = &entry.value.value else {
            r.add(
                &tag_path,
                &entry.value.origin,
                format!("expected a string, found {}", kind_name(&entry.value.value)),
                format!("write one of {list}"),
            );
            r.prune.push(path.clone());
            return;
        };
        match variants
            .iter()
            .find(|v| tag_values(v, tag).contains(&value.as_str()))
        {
            Some(variant) => self.check_plain(node, variant, path, r),
            None => {
                let fix = match did_you_mean(value, all.iter().copied()) {
                    Some(m) => format!("did you mean \"{m}\"? (one of {list})"),
                    None => format!("use one of {list}"),
                };
                r.add(
                    &tag_path,
                    &entry.value.origin,
                    format!("unknown {tag} `{value}`"),
                    fix,
                );
                r.prune.push(path.clone());
            }
        }
    }

    fn check_table(
        &self,
        node: &Node,
        entries: &[Entry],
        schema: &'a Value,
        path: &KeyPath,
        r: &mut Report,
    ) {
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        let props = self.view.properties(schema);
        for entry in entries {
            let child = path.child(&entry.key);
            match self.view.property(schema, &entry.key) {
                Some(prop) => self.check(&entry.value, prop, &child, r),
                None if closed => {
                    let fix = self.unknown_key_fix(&entry.key, path, &props);
                    r.reject(
                        &child,
                        &entry.key_origin,
                        format!("unknown key `{}`", entry.key),
                        fix,
                    );
                }
                None => {}
            }
        }
        if let Some(Value::Array(required)) = schema.get("required") {
            for key in required.iter().filter_map(Value::as_str) {
                if !entries.iter().any(|e| e.key == key) {
                    let prop = self.view.property(schema, key);
                    let placeholder = match prop.map(|p| schema_types(self.view.resolve(p).0)) {
                        Some(t) if t == ["string"] => "\"...\"",
                        Some(t) if t == ["array"] => "[...]",
                        _ => "...",
                    };
                    let description = prop
                        .and_then(|p| p.get("description"))
                        .and_then(Value::as_str)
                        .map(|d| format!(": {}", one_line(d)))
                        .unwrap_or_default();
                    r.reject(
                        path,
                        &node.origin,
                        format!("missing key `{key}`"),
                        format!("add `{key} = {placeholder}`{description}"),
                    );
                }
            }
        }
    }

    fn unknown_key_fix(&self, key: &str, path: &KeyPath, props: &[(&str, &Value)]) -> String {
        if let Some(m) = did_you_mean(key, props.iter().map(|(k, _)| *k)) {
            return format!("did you mean `{m}`?");
        }
        let root = self.view.resolve(self.view.root()).0;
        if path.0.is_empty() {
            // A key of a section written at the top level?
            for (section, prop) in self.view.properties(root) {
                let sub = self.view.resolve(prop).0;
                if self.view.property(sub, key).is_some() {
                    return format!(
                        "`{key}` belongs in the `[{section}]` table: move it there, or write `{section}.{key}`"
                    );
                }
            }
        } else if path.0.len() == 1 && self.view.property(root, key).is_some() {
            return format!("`{key}` is a top-level key: move it above the first `[table]` header");
        }
        let mut names: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
        names.sort_unstable();
        if names.is_empty() {
            "remove it".to_string()
        } else {
            format!(
                "remove it; the keys allowed here are {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }

    fn check_range(&self, v: f64, schema: &Value, node: &Node, path: &KeyPath, r: &mut Report) {
        let (format_min, format_max) = match schema.get("format").and_then(Value::as_str) {
            Some("uint8") => (Some(0.0), Some(u8::MAX as f64)),
            Some("uint16") => (Some(0.0), Some(u16::MAX as f64)),
            Some("uint32") => (Some(0.0), Some(u32::MAX as f64)),
            Some("uint64" | "uint") => (Some(0.0), None),
            Some("int32") => (Some(i32::MIN as f64), Some(i32::MAX as f64)),
            _ => (None, None),
        };
        let min = schema.get("minimum").and_then(Value::as_f64).or(format_min);
        let max = schema.get("maximum").and_then(Value::as_f64).or(format_max);
        let allowed = match (min, max) {
            (Some(lo), Some(hi)) => format!("use a value from {lo} to {hi}"),
            (Some(lo), None) => format!("use {lo} or more"),
            (None, Some(hi)) => format!("use {hi} or less"),
            (None, None) => return,
        };
        let text = match &node.value {
            NodeValue::Integer(i) => i.to_string(),
            _ => v.to_string(),
        };
        if let Some(lo) = min.filter(|lo| v < *lo) {
            r.reject(
                path,
                &node.origin,
                format!("`{text}` is less than {lo}"),
                allowed,
            );
        } else if let Some(hi) = max.filter(|hi| v > *hi) {
            r.reject(
                path,
                &node.origin,
                format!("`{text}` is more than {hi}"),
                allowed,
            );
        }
    }

    fn check_format(&self, s: &str, schema: &Value, node: &Node, path: &KeyPath, r: &mut Report) {
        let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
        let result: Result<(), (String, String)> = match format {
            FORMAT_DURATION => parse_duration(s).map(drop).map_err(|e| {
                (
                    format!("invalid duration `{s}`: {e}"),
                    DURATION_HELP.to_string(),
                )
            }),
            FORMAT_BYTE_SIZE => parse_byte_size(s)
                .map(drop)
                .map_err(|e| (format!("invalid size `{s}`: {e}"), SIZE_HELP.to_string())),
            FORMAT_SOCKET_ADDRESS => check_socket_address(s),
            FORMAT_LOG_FILTER => check_log_filter(s),
            FORMAT_URL => check_http_url(s).map_err(|m| {
                (
                    m,
                    "write an http:// or https:// URL, e.g. \"http://127.0.0.1:4318\"".to_string(),
                )
            }),
            _ => Ok(()),
        };
        if let Err((message, fix)) = result {
            r.reject(path, &node.origin, message, fix);
        }
    }

    fn check_secret(&self, node: &Node, path: &KeyPath, r: &mut Report) {
        let key = path.last_key().unwrap_or("secret");
        let example = |form: &str| match &node.origin {
            Origin::Env { var, .. } if *var == env_var_name(path) => format!("{var}='{form}'"),
            _ => format!("{key} = {form}"),
        };
        let entries = match &node.value {
            NodeValue::Table(entries) => entries,
            NodeValue::String(_) => {
                // Never repeat the value: it is probably the secret.
                r.reject(
                    path,
                    &node.origin,
                    "a secret must not be written in the configuration (its value is not shown here)"
                        .into(),
                    format!(
                        "reference it instead: `{}` or `{}`",
                        example("{ env = \"VARIABLE\" }"),
                        example("{ file = \"/path/to/file\" }")
                    ),
                );
                return;
            }
            other => {
                r.reject(
                    path,
                    &node.origin,
                    format!("expected a secret reference, found {}", kind_name(other)),
                    format!("write {SECRET_FIX}"),
                );
                return;
            }
        };
        let mut rejected = false;
        let mut found = Vec::new();
        for entry in entries {
            match entry.key.as_str() {
                "env" | "file" => found.push(entry),
                other => {
                    let fix = match did_you_mean(other, ["env", "file"]) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => format!("a secret reference is {SECRET_FIX}"),
                    };
                    r.add(
                        &path.child(other),
                        &entry.key_origin,
                        format!("unknown key `{other}` in a secret reference"),
                        fix,
                    );
                    rejected = true;
                }
            }
        }
        match found.as_slice() {
            [] if !rejected => {
                r.add(
                    path,
                    &node.origin,
                    "empty secret reference".into(),
                    format!("write {SECRET_FIX}"),
                );
                rejected = true;
            }
            [] => {}
            [entry] => {
                let child = path.child(&entry.key);
                let at = &entry.value.origin;
                match (&entry.key[..], &entry.value.value) {
                    ("env", NodeValue::String(name)) => {
                        if name.is_empty()
                            || name.contains(['=', '\0'])
                            || name.chars().any(char::is_whitespace)
                        {
                            r.add(
                                &child,
                                at,
                                format!("`{name}` is not an environment variable name"),
                                "name the variable that holds the secret, e.g. { env = \"GITHUB_TOKEN\" }".into(),
                            );
                            rejected = true;
                        }
                    }
                    ("file", NodeValue::String(file)) => {
                        if !Path::new(file).is_absolute() {
                            r.add(
                                &child,
                                at,
                                format!("the secret file `{file}` is not an absolute path"),
                                "write the file's absolute path, e.g. { file = \"/run/secrets/token\" }".into(),
                            );
                            rejected = true;
                        }
                    }
                    (_, other) => {
                        r.add(
                            &child,
                            at,
                            format!("expected a string, found {}", kind_name(other)),
                            format!("write {SECRET_FIX}"),
                        );
                        rejected = true;
                    }
                }
            }
            _ => {
                r.add(
                    path,
                    &node.origin,
                    "a secret reference names both `env` and `file`".into(),
                    "keep one of them".into(),
                );
                rejected = true;
            }
        }
        if rejected {
            r.prune.push(path.clone());
        }
    }

    /// What a schema expects ("an integer") and how to write it, with an example.
    fn expectation(&self, schema: &Value, path: &KeyPath, origin: &Origin) -> (String, String) {
        let schema = self.view.resolve(schema).0;
        let key = path.last_key().unwrap_or("key");
        let in_list = matches!(path.0.last(), Some(Seg::Index(_)));
        // `key = toml` in a file, `QUARRY_KEY=env` for a variable's whole value.
        let example = |toml: &str, env: &str| -> String {
            if let Origin::Env { var, .. } = origin {
                if *var == env_var_name(path) {
                    return format!("`{var}={env}`");
                }
            }
            if in_list {
                format!("`{toml}`")
            } else {
                format!("`{key} = {toml}`")
            }
        };
        let default = schema.get("default");
        let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
        let types = schema_types(schema);
        if let Some(c) = schema.get("const").and_then(Value::as_str) {
            return (
                format!("\"{c}\""),
                format!("write {}", example(&format!("\"{c}\""), c)),
            );
        }
        match (types.as_slice(), format) {
            (_, FORMAT_DURATION) => {
                let ex = default.and_then(Value::as_str).unwrap_or("10s");
                (
                    "a duration in quotes".into(),
                    format!(
                        "write a number and a unit in quotes, e.g. {}",
                        example(&format!("\"{ex}\""), ex)
                    ),
                )
            }
            (_, FORMAT_BYTE_SIZE) => (
                "a size (a number of bytes, or a string such as \"1MiB\")".into(),
                format!(
                    "write a number of bytes, or a size with a unit in quotes, e.g. {}",
                    example("\"1MiB\"", "1MiB")
                ),
            ),
            (_, FORMAT_SOCKET_ADDRESS) => (
                "an address in quotes".into(),
                format!(
                    "write an IP address and a port in quotes, e.g. {}",
                    example("\"127.0.0.1:7340\"", "127.0.0.1:7340")
                ),
            ),
            (["integer"], _) => {
                let ex = default
                    .and_then(Value::as_i64)
                    .or_else(|| schema.get("minimum").and_then(Value::as_i64))
                    .unwrap_or(1)
                    .to_string();
                (
                    "an integer".into(),
                    format!(
                        "write a whole number without quotes, e.g. {}",
                        example(&ex, &ex)
                    ),
                )
            }
            (["number"], _) => {
                let ex = default.and_then(Value::as_f64).unwrap_or(0.5).to_string();
                (
                    "a number".into(),
                    format!("write a number without quotes, e.g. {}", example(&ex, &ex)),
                )
            }
            (["boolean"], _) => (
                "true or false".into(),
                format!(
                    "write {} or {}, without quotes",
                    example("true", "true"),
                    example("false", "false")
                ),
            ),
            (["string"], _) => {
                let ex = default.and_then(Value::as_str).unwrap_or("...");
                (
                    "a string".into(),
                    format!(
                        "write the value in double quotes, e.g. {}",
                        example(&format!("\"{ex}\""), ex)
                    ),
                )
            }
            (["array"], _) => {
                let items = schema.get("items").map(|i| self.view.resolve(i).0);
                if items.is_some_and(|i| schema_types(i) == ["object"] || i.get("oneOf").is_some())
                {
                    (
                        "a list of tables".into(),
                        format!("write one `[[{key}]]` table per entry"),
                    )
                } else {
                    (
                        "a list".into(),
                        format!(
                            "write a list in brackets, e.g. {}",
                            example("[\"a\", \"b\"]", "[\"a\",\"b\"]")
                        ),
                    )
                }
            }
            (["object"], _) => (
                "a table".into(),
                format!(
                    "write a `[{path}]` header followed by its keys, or an inline table {}",
                    example("{ ... }", "{ ... }")
                ),
            ),
            _ => (
                "another type".into(),
                "see the configuration reference".into(),
            ),
        }
    }
}

fn accepts(types: &[&str], value: &NodeValue) -> bool {
    types.iter().any(|t| {
        matches!(
            (*t, value),
            ("string", NodeValue::String(_))
                | ("integer", NodeValue::Integer(_))
                | ("number", NodeValue::Integer(_) | NodeValue::Float(_))
                | ("boolean", NodeValue::Boolean(_))
                | ("array", NodeValue::Array(_))
                | ("object", NodeValue::Table(_))
        )
    })
}

/// Whether a variant is of the node's type (so its problems are the relevant ones).
fn variant_accepts(variant: &Value, value: &NodeValue) -> bool {
    let types = schema_types(variant);
    if !types.is_empty() {
        return accepts(&types, value);
    }
    match variant.get("const") {
        Some(Value::String(_)) => matches!(value, NodeValue::String(_)),
        Some(Value::Bool(_)) => matches!(value, NodeValue::Boolean(_)),
        Some(Value::Number(_)) => matches!(value, NodeValue::Integer(_) | NodeValue::Float(_)),
        _ => variant.get("properties").is_some() && matches!(value, NodeValue::Table(_)),
    }
}

/// The property whose constant value tells object variants apart (`kind`), if any.
fn discriminator(variants: &[&Value]) -> Option<String> {
    let first = variants.first()?.get("properties")?.as_object()?;
    first
        .keys()
        .find(|key| variants.iter().all(|v| !tag_values(v, key).is_empty()))
        .cloned()
}

/// The values of the tag property `tag` a variant accepts (`const`, or `enum`).
fn tag_values<'v>(variant: &'v Value, tag: &str) -> Vec<&'v str> {
    let Some(prop) = variant.get("properties").and_then(|p| p.get(tag)) else {
        return Vec::new();
    };
    if let Some(c) = prop.get("const").and_then(Value::as_str) {
        return vec![c];
    }
    prop.get("enum")
        .and_then(Value::as_array)
        .map(|values| values.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The values of `const` or `enum`, if the schema has either.
fn allowed_values(schema: &Value) -> Option<Vec<Value>> {
    if let Some(c) = schema.get("const") {
        return Some(vec![c.clone()]);
    }
    schema.get("enum").and_then(Value::as_array).cloned()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn check_socket_address(s: &str) -> Result<(), (String, String)> {
    if s.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    let fix = "write an IP address and a port, e.g. \"127.0.0.1:7340\" (this machine only), \"0.0.0.0:7340\" (all interfaces) or \"[::]:7340\"".to_string();
    if s.parse::<std::net::IpAddr>().is_ok() {
        return Err((format!("`{s}` has no port"), fix));
    }
    if let Some((host, port)) = s.rsplit_once(':') {
        if port.parse::<u16>().is_err() {
            return Err((format!("invalid port in `{s}`"), fix));
        }
        if !host.is_empty() && host.parse::<std::net::IpAddr>().is_err() {
            return Err((
                format!("`{s}` is not an IP address and port (host names are not resolved)"),
                fix,
            ));
        }
    }
    Err((format!("`{s}` is not an IP address and port"), fix))
}

/// A light check of `tracing` `EnvFilter` syntax: every level named is a level.
pub(crate) fn check_log_filter(s: &str) -> Result<(), (String, String)> {
    let levels_fix = || {
        "levels are error, warn, info, debug, trace and off, e.g. \"info,quarry_server=debug\""
            .to_string()
    };
    if s.trim().is_empty() {
        return Err(("empty log filter".into(), levels_fix()));
    }
    let is_level = |l: &str| {
        LEVELS.iter().any(|lv| lv.eq_ignore_ascii_case(l))
            || matches!(l, "0" | "1" | "2" | "3" | "4" | "5")
    };
    for directive in s.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if directive.contains('[') {
            continue;
        }
        match directive.rsplit_once('=') {
            Some((target, level)) => {
                if target.trim().is_empty() {
                    return Err((
                        format!("`{directive}` names no module before `=`"),
                        "write MODULE=LEVEL, e.g. \"quarry_server=debug\"".into(),
                    ));
                }
                if !is_level(level.trim()) {
                    let fix = match did_you_mean(level.trim(), LEVELS.iter().copied()) {
                        Some(m) => format!("did you mean `{target}={m}`?"),
                        None => levels_fix(),
                    };
                    return Err((
                        format!("unknown level `{}` in `{directive}`", level.trim()),
                        fix,
                    ));
                }
            }
            None if is_level(directive) => {}
            None => {
                // A bare module name is valid (it enables everything in that module), but a
                // misspelt level is far more likely.
                if let Some(m) = did_you_mean(directive, LEVELS.iter().copied()) {
                    return Err((
                        format!("unknown level `{directive}`"),
                        format!("did you mean `{m}`?"),
                    ));
                }
                if !directive
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'))
                {
                    return Err((format!("invalid log directive `{directive}`"), levels_fix()));
                }
            }
        }
    }
    Ok(())
}

/// An http(s) URL with a host and no credentials. The message does not repeat the URL (it
/// might hold credentials).
pub(crate) fn check_http_url(s: &str) -> Result<(), String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| "not an http:// or https:// URL".to_string())?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("the URL contains credentials, which must not be written in the configuration (the URL is not shown)".into());
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if host.is_empty() || s.chars().any(char::is_whitespace) {
        return Err("not a valid URL: it needs a host name".into());
    }
    Ok(())
}
