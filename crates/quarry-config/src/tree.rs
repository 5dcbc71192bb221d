//! The configuration as parsed, before it becomes a [`crate::Config`]: a TOML tree whose every
//! key and value remembers where it came from (a span of the file, or of an environment
//! variable's value).

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Where a key or value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A byte range of the configuration file.
    File(Range<usize>),
    /// A byte range of the value of an environment variable.
    Env { var: String, span: Range<usize> },
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub value: NodeValue,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeValue {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(toml::value::Datetime),
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_origin: Origin,
    pub value: Node,
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A key path: `search.max_concurrent`, `repos[1].branches[0]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn child(&self, key: &str) -> KeyPath {
        let mut v = self.0.clone();
        v.push(Seg::Key(key.to_string()));
        KeyPath(v)
    }

    pub fn index(&self, i: usize) -> KeyPath {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        KeyPath(v)
    }

    pub fn starts_with(&self, other: &KeyPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The last key (not index) of the path.
    pub fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// What a node is, for messages ("found a string").
pub(crate) fn kind_name(value: &NodeValue) -> &'static str {
    match value {
        NodeValue::String(_) => "a string",
        NodeValue::Integer(_) => "an integer",
        NodeValue::Float(_) => "a floating-point number",
        NodeValue::Boolean(_) => "a boolean",
        NodeValue::Datetime(_) => "a date-time",
        NodeValue::Array(_) => "a list",
        NodeValue::Table(_) => "a table",
    }
}

impl Node {
    /// Converts a parsed TOML value. Integers out of range become problems in `errors`.
    pub fn from_de(
        value: &Spanned<DeValue<'_>>,
        origin: &dyn Fn(Range<usize>) -> Origin,
        errors: &mut Vec<(Origin, String)>,
    ) -> Node {
        let here = origin(value.span());
        let v = match value.get_ref() {
            DeValue::String(s) => NodeValue::String(s.to_string()),
            DeValue::Integer(i) => {
                match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
                    Ok(n) => NodeValue::Integer(n),
                    Err(_) => {
                        errors.push((here.clone(), "integer out of range".to_string()));
                        NodeValue::Integer(0)
                    }
                }
            }
            DeValue::Float(f) => {
                let text = f.as_str().replace('_', "");
                NodeValue::Float(text.parse::<f64>().unwrap_or(f64::NAN))
            }
            DeValue::Boolean(b) => NodeValue::Boolean(*b),
            DeValue::Datetime(d) => NodeValue::Datetime(*d),
            DeValue::Array(items) => NodeValue::Array(
                items
                    .iter()
                    .map(|item| Node::from_de(item, origin, errors))
                    .collect(),
            ),
            DeValue::Table(table) => NodeValue::Table(table_entries(table, origin, errors)),
        };
        Node {
            value: v,
            origin: here,
        }
    }

    pub fn table_from_de(
        table: &Spanned<DeTable<'_>>,
        origin: &dyn Fn(Range<usize>) -> Origin,
        errors: &mut Vec<(Origin, String)>,
    ) -> Node {
        Node {
            value: NodeValue::Table(table_entries(table.get_ref(), origin, errors)),
            origin: origin(table.span()),
        }
    }

    /// The deepest node on `path` that exists (for locating a problem about a key that is
    /// absent: its table).
    pub fn closest(&self, path: &KeyPath) -> &Node {
        let mut node = self;
        for seg in &path.0 {
            let next = match (seg, &node.value) {
                (Seg::Key(k), NodeValue::Table(entries)) => {
                    entries.iter().find(|e| &e.key == k).map(|e| &e.value)
                }
                (Seg::Index(i), NodeValue::Array(items)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node
    }

    /// Sets the value at a path of keys, creating tables (with origin `origin`) on the way.
    /// Returns false when a value on the way is not a table.
    pub fn set(&mut self, keys: &[&str], value: Node, origin: &Origin) -> bool {
        let NodeValue::Table(entries) = &mut self.value else {
            return false;
        };
        let Some((first, rest)) = keys.split_first() else {
            return false;
        };
        let index = match entries.iter().position(|e| e.key == *first) {
            Some(i) => i,
            None => {
                entries.push(Entry {
                    key: first.to_string(),
                    key_origin: origin.clone(),
                    value: Node {
                        value: NodeValue::Table(Vec::new()),
                        origin: origin.clone(),
                    },
                });
                entries.len() - 1
            }
        };
        let entry = &mut entries[index];
        if rest.is_empty() {
            entry.key_origin = origin.clone();
            entry.value = value;
            true
        } else {
            entry.value.set(rest, value, origin)
        }
    }

    /// Removes the nodes at `paths`. Returns, for every list that lost items, the original
    /// indices of the items kept (so that paths into the pruned tree can be mapped back).
    pub fn prune(&mut self, paths: &[KeyPath]) -> HashMap<KeyPath, Vec<usize>> {
        let mut kept = HashMap::new();
        prune_at(self, &KeyPath::default(), paths, &mut kept);
        kept
    }

    /// Converts to a `toml::Value` for deserialization.
    pub fn to_toml(&self) -> toml::Value {
        match &self.value {
            NodeValue::String(s) => toml::Value::String(s.clone()),
            NodeValue::Integer(i) => toml::Value::Integer(*i),
            NodeValue::Float(f) => toml::Value::Float(*f),
            NodeValue::Boolean(b) => toml::Value::Boolean(*b),
            NodeValue::Datetime(d) => toml::Value::Datetime(*d),
            NodeValue::Array(items) => {
                toml::Value::Array(items.iter().map(Node::to_toml).collect())
            }
            NodeValue::Table(entries) => toml::Value::Table(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_toml()))
                    .collect(),
            ),
        }
    }
}

fn table_entries(
    table: &DeTable<'_>,
    origin: &dyn Fn(Range<usize>) -> Origin,
    errors: &mut Vec<(Origin, String)>,
) -> Vec<Entry> {
    table
        .iter()
        .map(|(k, v)| Entry {
            key: k.get_ref().to_string(),
            key_origin: origin(k.span()),
            value: Node::from_de(v, origin, errors),
        })
        .collect()
}

fn prune_at(
    node: &mut Node,
    here: &KeyPath,
    paths: &[KeyPath],
    kept: &mut HashMap<KeyPath, Vec<usize>>,
) {
    if !paths
        .iter()
        .any(|p| p.starts_with(here) && p.0.len() > here.0.len())
    {
        return;
    }
    match &mut node.value {
        NodeValue::Table(entries) => {
            entries.retain(|e| !paths.contains(&here.child(&e.key)));
            for e in entries.iter_mut() {
                let child = here.child(&e.key);
                prune_at(&mut e.value, &child, paths, kept);
            }
        }
        NodeValue::Array(items) => {
            let old = std::mem::take(items);
            let mut indices = Vec::new();
            for (i, mut item) in old.into_iter().enumerate() {
                let child = here.index(i);
                if paths.contains(&child) {
                    continue;
                }
                prune_at(&mut item, &child, paths, kept);
                indices.push(i);
                items.push(item);
            }
            kept.insert(here.clone(), indices);
        }
        _ => {}
    }
}

/// Maps a path into the pruned tree back to the original tree.
pub(crate) fn unprune(path: &KeyPath, kept: &HashMap<KeyPath, Vec<usize>>) -> KeyPath {
    let mut original = KeyPath::default();
    for seg in &path.0 {
        match seg {
            Seg::Key(k) => original = original.child(k),
            Seg::Index(i) => {
                let i = kept
                    .get(&original)
                    .and_then(|indices| indices.get(*i).copied())
                    .unwrap_or(*i);
                original = original.index(i);
            }
        }
    }
    original
}
