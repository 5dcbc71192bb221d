//! The JSON Schema of the configuration, generated from the Rust types, and helpers to walk it.

use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::{Map, Value};

use crate::Config;

/// Marks a key whose change needs a restart of `quarry serve` (in the schema, as an extension).
pub(crate) const RESTART: &str = "x-quarry-restart";

/// The JSON Schema (draft 2020-12) of the configuration file, generated from [`Config`]:
/// descriptions are the types' doc comments, every table has `additionalProperties: false`,
/// defaults are given, and keys that need a restart carry `"x-quarry-restart": true`.
///
/// TOML has no null: optional keys are simply left out, so the schema does not allow `null`.
/// Durations have `"format": "duration"`, sizes `"format": "byte-size"`, the listen address
/// `"format": "socket-address"`.
pub fn schema() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<Config>();
    let mut value = schema.to_value();
    strip_null(&mut value);
    value
}

/// Removes `null` from the schema: TOML cannot express it, and optional keys are left out.
fn strip_null(value: &mut Value) {
    match value {
        Value::Object(obj) => {
            if let Some(Value::Array(types)) = obj.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let t = types[0].clone();
                    obj.insert("type".into(), t);
                }
            }
            if obj.get("default") == Some(&Value::Null) {
                obj.remove("default");
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(variants)) = obj.get_mut(key) {
                    variants.retain(|v| v.get("type") != Some(&Value::String("null".into())));
                    if variants.len() == 1 {
                        let only = variants.remove(0);
                        obj.remove(key);
                        if let Value::Object(inner) = only {
                            for (k, v) in inner {
                                obj.entry(k).or_insert(v);
                            }
                        }
                    }
                }
            }
            for v in obj.values_mut() {
                strip_null(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// Replaces a top-level `$ref` of `schema` by the definition it names, keeping the other keys
/// (merging `properties` and `required`).
pub(crate) fn inline_refs(schema: Value, generator: &SchemaGenerator) -> Value {
    let Value::Object(mut obj) = schema else {
        return schema;
    };
    let Some(Value::String(reference)) = obj.remove("$ref") else {
        return Value::Object(obj);
    };
    let name = reference.rsplit('/').next().unwrap_or_default();
    let Some(Value::Object(def)) = generator.definitions().get(name).cloned() else {
        obj.insert("$ref".into(), Value::String(reference));
        return Value::Object(obj);
    };
    let mut merged = def;
    for (k, v) in obj {
        match (k.as_str(), merged.get_mut(&k), v) {
            ("properties", Some(Value::Object(existing)), Value::Object(more)) => {
                // Keep the tag (`kind`) first.
                let mut props: Map<String, Value> = more;
                for (pk, pv) in std::mem::take(existing) {
                    props.entry(pk).or_insert(pv);
                }
                *existing = props;
            }
            ("required", Some(Value::Array(existing)), Value::Array(more)) => {
                let mut all = more;
                for r in std::mem::take(existing) {
                    if !all.contains(&r) {
                        all.push(r);
                    }
                }
                *existing = all;
            }
            (_, _, v) => {
                merged.insert(k, v);
            }
        }
    }
    Value::Object(merged)
}

/// Walks the generated schema: resolves `$ref`s against its `$defs`.
pub(crate) struct SchemaView<'a> {
    root: &'a Value,
}

impl<'a> SchemaView<'a> {
    pub fn new(root: &'a Value) -> Self {
        SchemaView { root }
    }

    pub fn root(&self) -> &'a Value {
        self.root
    }

    /// Follows `$ref` (repeatedly). Returns the target and the name of the last definition
    /// followed, if any.
    pub fn resolve(&self, mut schema: &'a Value) -> (&'a Value, Option<&'a str>) {
        let mut name = None;
        for _ in 0..16 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(def_name) = reference.strip_prefix("#/$defs/") else {
                break;
            };
            match self.root.get("$defs").and_then(|d| d.get(def_name)) {
                Some(target) => {
                    schema = target;
                    name = Some(def_name);
                }
                None => break,
            }
        }
        (schema, name)
    }

    /// The variants of a schema with `oneOf`/`anyOf`, resolved.
    pub fn variants(&self, schema: &'a Value) -> Option<Vec<&'a Value>> {
        let list = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))?
            .as_array()?;
        Some(list.iter().map(|v| self.resolve(v).0).collect())
    }

    /// The properties of an object schema (resolved), in schema order.
    pub fn properties(&self, schema: &'a Value) -> Vec<(&'a str, &'a Value)> {
        schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| props.iter().map(|(k, v)| (k.as_str(), v)).collect())
            .unwrap_or_default()
    }

    /// The schema of property `key` of `schema` (not resolved).
    pub fn property(&self, schema: &'a Value, key: &str) -> Option<&'a Value> {
        schema.get("properties")?.get(key)
    }

    /// The schema reached from the root by a path of keys (`search`, `max_concurrent`),
    /// descending through tables only. `None` when the path leaves the tables.
    pub fn at_path(&self, path: &[&str]) -> Option<&'a Value> {
        let mut schema = self.resolve(self.root).0;
        for key in path {
            let prop = self.property(schema, key)?;
            schema = self.resolve(prop).0;
        }
        Some(schema)
    }

    /// Whether a key needs a restart: it, or a table it is in, carries `x-quarry-restart`.
    pub fn needs_restart(&self, path: &[&str]) -> bool {
        let mut schema = self.resolve(self.root).0;
        for key in path {
            let Some(prop) = self.property(schema, key) else {
                return false;
            };
            if prop.get(RESTART) == Some(&Value::Bool(true)) {
                return true;
            }
            schema = self.resolve(prop).0;
            if schema.get(RESTART) == Some(&Value::Bool(true)) {
                return true;
            }
        }
        false
    }
}

/// The TOML types a schema accepts, as JSON Schema type names.
pub(crate) fn schema_types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}
