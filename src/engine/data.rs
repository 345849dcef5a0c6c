//! Plain values exchanged with helpers and used for parameters: no CEL types involved.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Time(DateTime<Utc>),
    List(Vec<Data>),
    Map(BTreeMap<String, Data>),
}

impl Data {
    pub fn type_name(&self) -> &'static str {
        match self {
            Data::Null => "null",
            Data::Bool(_) => "bool",
            Data::Int(_) => "int",
            Data::Float(_) => "double",
            Data::Str(_) => "string",
            Data::Time(_) => "timestamp",
            Data::List(_) => "list",
            Data::Map(_) => "map",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Data::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Data]> {
        match self {
            Data::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Data> {
        match self {
            Data::Map(map) => map.get(key),
            _ => None,
        }
    }

    /// Converts a TOML value (parameter defaults and overrides). Datetimes become timestamps.
    pub fn from_toml(value: &toml::Value) -> Option<Data> {
        Some(match value {
            toml::Value::String(text) => Data::Str(text.clone()),
            toml::Value::Integer(number) => Data::Int(*number),
            toml::Value::Float(number) => Data::Float(*number),
            toml::Value::Boolean(flag) => Data::Bool(*flag),
            toml::Value::Datetime(datetime) => {
                let text = datetime.to_string();
                let time = DateTime::parse_from_rfc3339(&text)
                    .map(|t| t.with_timezone(&Utc))
                    .ok()
                    .or_else(|| {
                        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                            .ok()?
                            .and_hms_opt(0, 0, 0)
                            .map(|t| t.and_utc())
                    })?;
                Data::Time(time)
            }
            toml::Value::Array(items) => {
                Data::List(items.iter().map(Data::from_toml).collect::<Option<_>>()?)
            }
            toml::Value::Table(table) => Data::Map(
                table
                    .iter()
                    .map(|(key, value)| Some((key.clone(), Data::from_toml(value)?)))
                    .collect::<Option<_>>()?,
            ),
        })
    }
}

/// CEL-like literal syntax, used when a message interpolates a non-string value.
impl fmt::Display for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::Null => f.write_str("null"),
            Data::Bool(flag) => write!(f, "{flag}"),
            Data::Int(number) => write!(f, "{number}"),
            Data::Float(number) => write!(f, "{number}"),
            Data::Str(text) => write!(f, "{text:?}"),
            // As messages show times: a date at midnight, else whole seconds.
            Data::Time(time) => f.write_str(&super::helpers::time_text(*time)),
            Data::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Data::Map(map) => {
                f.write_str("{")?;
                for (i, (key, value)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key:?}: {value}")?;
                }
                f.write_str("}")
            }
        }
    }
}
