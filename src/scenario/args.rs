//! Typed arguments straight from the node tree: a serde [`Deserializer`] over [`Node`] whose errors
//! keep the span of the value (or key) they are about.
//!
//! Rust activity plugins declare their arguments as a `serde::Deserialize` type. Deserializing it from
//! the node tree instead of from plain JSON is what lets a plugin's argument errors point at
//! `file:line:col` like the built-in activities' errors do: every problem becomes an [`ArgProblem`]
//! with the span of the offending node and, for unknown keys, the key's own span and the known keys
//! for a "did you mean". Unknown keys are found whether or not the type says
//! `#[serde(deny_unknown_fields)]`: serde hands the value of a key it does not know to
//! `deserialize_ignored_any`, which records the key here.
//!
//! At load time ([`Placeholders::Allow`]) a string holding a `$(var)` macro stands in for a
//! number or boolean (it is checked again after expansion, at run time), so `count: $(n)` loads.

use super::diagnostic::Diagnostic;
use super::node::{Node, NodeKind};
use super::source::Span;
use super::suggest;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use std::cell::RefCell;
use std::fmt;

/// One problem with an activity's arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct ArgProblem {
    /// The node it is about (the key for unknown keys, the mapping for missing ones).
    pub span: Span,
    /// What is wrong.
    pub kind: ArgProblemKind,
}

/// The kinds of [`ArgProblem`].
#[derive(Clone, Debug, PartialEq)]
pub enum ArgProblemKind {
    /// A key the argument type does not have.
    UnknownKey {
        /// The key as written.
        key: String,
        /// The keys the type accepts.
        known: Vec<&'static str>,
    },
    /// A required key is absent.
    Missing {
        /// The key.
        key: String,
    },
    /// A value of the wrong type.
    WrongType {
        /// The key whose value it is, when it is a mapping value.
        key: Option<String>,
        /// What the type wanted (serde's wording, e.g. `u32`, `a boolean`).
        expected: String,
        /// What was written (`a string`, `a list`, ...).
        found: String,
    },
    /// Any other complaint of the argument type (an out-of-range number, an unknown enum variant, a
    /// custom validation message).
    Invalid {
        /// The key whose value it is, when known.
        key: Option<String>,
        /// The type's message.
        message: String,
    },
}

impl ArgProblem {
    /// The diagnostic for this problem in activity `activity`; `extra_known` are keys every activity
    /// accepts (for the "did you mean" of unknown keys).
    pub fn to_diagnostic(&self, activity: &str, extra_known: &[&str]) -> Diagnostic {
        match &self.kind {
            ArgProblemKind::UnknownKey { key, known } => {
                let all: Vec<&str> = known.iter().copied().chain(extra_known.iter().copied()).collect();
                Diagnostic::error(self.span, format!("unknown key `{key}` in `{activity}`"))
                    .with_label_opt(suggest::label(key, all.iter().copied()))
                    .with_help(format!("`{activity}` accepts: {}", all.join(", ")))
            }
            ArgProblemKind::Missing { key } => {
                Diagnostic::error(self.span, format!("missing argument `{key}` for `{activity}`"))
                    .with_help(format!("add `{key}:` to this activity"))
            }
            ArgProblemKind::WrongType { key, expected, found } => {
                let what = key
                    .as_deref()
                    .map_or_else(|| "the value".to_string(), |k| format!("`{k}`"));
                Diagnostic::error(self.span, format!("{what} must be {expected}, found {found}"))
            }
            ArgProblemKind::Invalid { key, message } => {
                let prefix = key.as_deref().map_or_else(String::new, |k| format!("`{k}`: "));
                Diagnostic::error(self.span, format!("{prefix}{message}"))
            }
        }
    }

    /// A one-line message (for run-time errors, which have no snippet).
    pub fn message(&self) -> String {
        self.to_diagnostic("", &[]).message
    }
}

/// Whether `$(var)` strings may stand in for numbers and booleans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholders {
    /// Load time: the value is not known yet; the macro is accepted and checked after expansion.
    Allow,
    /// Run time: the value has been expanded and must have the right type.
    Deny,
}

/// Deserializes `T` from a node, collecting every unknown key and the first type error.
pub fn from_node<T: DeserializeOwned>(node: &Node, placeholders: Placeholders) -> Result<T, Vec<ArgProblem>> {
    let unknown = RefCell::new(Vec::new());
    let de = NodeDe {
        node,
        key: None,
        unknown: &unknown,
        placeholders,
    };
    let result = T::deserialize(de);
    let mut problems = unknown.into_inner();
    match result {
        Ok(value) if problems.is_empty() => Ok(value),
        Ok(_) => Err(problems),
        Err(e) => {
            problems.push(e.into_problem(node.span));
            problems.sort_by_key(|p| (p.span.file, p.span.offset));
            Err(problems)
        }
    }
}

/// The serde error type of [`NodeDe`]: what went wrong and, once known, where.
#[derive(Debug)]
struct DeError {
    span: Option<Span>,
    key: Option<String>,
    kind: ErrKind,
}

#[derive(Debug)]
enum ErrKind {
    Unknown {
        field: String,
        expected: &'static [&'static str],
    },
    Missing(String),
    InvalidType {
        expected: String,
        found: Option<&'static str>,
    },
    Custom(String),
}

impl DeError {
    fn new(kind: ErrKind) -> Self {
        DeError {
            span: None,
            key: None,
            kind,
        }
    }

    /// Fills in the node's position (and key) unless an inner node already did.
    fn at(mut self, node: &Node, key: Option<&str>) -> Self {
        if self.span.is_none() {
            self.span = Some(node.span);
            self.key = key.map(str::to_string);
            if let ErrKind::InvalidType { found, .. } = &mut self.kind {
                // serde names the found value in Rust terms ("string \"x\""); say it as the YAML is written.
                *found = Some(node.type_name());
            }
        }
        self
    }

    fn into_problem(self, fallback: Span) -> ArgProblem {
        let span = self.span.unwrap_or(fallback);
        let kind = match self.kind {
            ErrKind::Unknown { field, expected } => ArgProblemKind::UnknownKey {
                key: field,
                known: expected.to_vec(),
            },
            ErrKind::Missing(key) => ArgProblemKind::Missing { key },
            ErrKind::InvalidType { expected, found } => ArgProblemKind::WrongType {
                key: self.key,
                expected,
                found: found.unwrap_or("a value of another type").to_string(),
            },
            ErrKind::Custom(message) => ArgProblemKind::Invalid { key: self.key, message },
        };
        ArgProblem { span, kind }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrKind::Unknown { field, .. } => write!(f, "unknown key `{field}`"),
            ErrKind::Missing(key) => write!(f, "missing argument `{key}`"),
            ErrKind::InvalidType { expected, .. } => write!(f, "expected {expected}"),
            ErrKind::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(ErrKind::Custom(msg.to_string()))
    }

    fn invalid_type(_unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        DeError::new(ErrKind::InvalidType {
            expected: exp.to_string(),
            found: None,
        })
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(ErrKind::Unknown {
            field: field.to_string(),
            expected,
        })
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::new(ErrKind::Missing(field.to_string()))
    }
}

/// A deserializer for one node.
struct NodeDe<'n, 'c> {
    node: &'n Node,
    /// The mapping key this node is the value of, and the keys its struct knows.
    key: Option<(&'n Node, Option<&'static [&'static str]>)>,
    unknown: &'c RefCell<Vec<ArgProblem>>,
    placeholders: Placeholders,
}

impl<'n, 'c> NodeDe<'n, 'c> {
    fn child(&self, node: &'n Node, key: Option<(&'n Node, Option<&'static [&'static str]>)>) -> Self {
        NodeDe {
            node,
            key,
            unknown: self.unknown,
            placeholders: self.placeholders,
        }
    }

    fn key_text(&self) -> Option<String> {
        self.key.map(|(k, _)| k.key_text())
    }

    fn wrap<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|e| e.at(self.node, self.key_text().as_deref()))
    }

    /// A `$(var)` string where a scalar is expected, at load time.
    fn is_placeholder(&self) -> bool {
        self.placeholders == Placeholders::Allow && self.node.as_str().is_some_and(|s| s.contains("$("))
    }

    fn any<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.node.kind {
            NodeKind::Null => visitor.visit_unit(),
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Int(i) => visitor.visit_i64(*i),
            NodeKind::Float(f) => visitor.visit_f64(*f),
            NodeKind::Str(s) => visitor.visit_str(s),
            NodeKind::Seq(items) => visitor.visit_seq(SeqDe {
                parent: &self,
                items: items.iter(),
            }),
            NodeKind::Map(entries) => visitor.visit_map(MapDe {
                parent: &self,
                entries: entries.iter(),
                value: None,
                fields: None,
            }),
        };
        self.wrap(r)
    }
}

macro_rules! scalar {
    ($($method:ident => $visit:ident($placeholder:expr)),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            if self.is_placeholder() {
                let r = visitor.$visit($placeholder);
                return self.wrap(r);
            }
            self.any(visitor)
        })*
    };
}

impl<'de> Deserializer<'de> for NodeDe<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.any(visitor)
    }

    scalar! {
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i64(0),
        deserialize_i16 => visit_i64(0),
        deserialize_i32 => visit_i64(0),
        deserialize_i64 => visit_i64(0),
        deserialize_u8 => visit_u64(0),
        deserialize_u16 => visit_u64(0),
        deserialize_u32 => visit_u64(0),
        deserialize_u64 => visit_u64(0),
        deserialize_f32 => visit_f64(0.0),
        deserialize_f64 => visit_f64(0.0),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            let r = visitor.visit_none();
            return self.wrap(r);
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // An activity without arguments (`Args = ()`) gets an empty mapping: every key in it is unknown.
        if let NodeKind::Map(entries) = &self.node.kind {
            for (key, _) in entries {
                self.unknown.borrow_mut().push(ArgProblem {
                    span: key.span,
                    kind: ArgProblemKind::UnknownKey {
                        key: key.key_text(),
                        known: Vec::new(),
                    },
                });
            }
            let r = visitor.visit_unit();
            return self.wrap(r);
        }
        self.any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Map(entries) => {
                let r = visitor.visit_map(MapDe {
                    parent: &self,
                    entries: entries.iter(),
                    value: None,
                    fields: Some(fields),
                });
                self.wrap(r)
            }
            _ => self.any(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Unit variants are written as their name; other variants are not supported in arguments.
        match &self.node.kind {
            NodeKind::Str(s) => {
                let r = visitor.visit_enum(IntoDeserializer::<DeError>::into_deserializer(s.as_str()));
                self.wrap(r)
            }
            _ => self.any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // serde asks to skip the value of a key its struct does not know: that key is unknown.
        if let Some((key, Some(fields))) = self.key {
            self.unknown.borrow_mut().push(ArgProblem {
                span: key.span,
                kind: ArgProblemKind::UnknownKey {
                    key: key.key_text(),
                    known: fields.to_vec(),
                },
            });
        }
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit_struct seq tuple tuple_struct map identifier
    }
}

struct SeqDe<'p, 'n, 'c> {
    parent: &'p NodeDe<'n, 'c>,
    items: std::slice::Iter<'n, Node>,
}

impl<'de> SeqAccess<'de> for SeqDe<'_, '_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(item) => seed.deserialize(self.parent.child(item, None)).map(Some),
            None => Ok(None),
        }
    }
}

struct MapDe<'p, 'n, 'c> {
    parent: &'p NodeDe<'n, 'c>,
    entries: std::slice::Iter<'n, (Node, Node)>,
    value: Option<(&'n Node, &'n Node)>,
    fields: Option<&'static [&'static str]>,
}

impl<'de> MapAccess<'de> for MapDe<'_, '_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((key, value));
        let de = self.parent.child(key, None);
        let r = seed.deserialize(de);
        r.map(Some).map_err(|e| e.at(key, None))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, value)) = self.value.take() else {
            return Err(de::Error::custom("value requested before its key"));
        };
        seed.deserialize(self.parent.child(value, Some((key, self.fields))))
    }
}
