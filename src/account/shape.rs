//! The account file's format as the types a policy reads: the fields of each table and what
//! each list holds. Built once from the JSON Schema of the model (`regcheck schema`), so it
//! cannot drift from the loader. Policies are checked against it when they load: `for_each`
//! paths ([`select`]) and every field path of their CEL expressions (`engine::cel`), so that a
//! misspelt field is a load error rather than a rule that quietly reads nothing.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::engine::jsonpath::{JsonPath, Step};

/// What a value of the account (or of an expression) is, as far as load-time checks know.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Not known before a run: a helper's result, a parameter, a value an expression builds.
    Any,
    Bool,
    Int,
    Float,
    Str,
    /// A TOML datetime or date: a CEL timestamp.
    Time,
    List(Arc<Shape>),
    /// A table with arbitrary keys (an image's `labels`): any key may be read.
    Map(Arc<Shape>),
    /// A table with known keys (a section, an image, a namespace).
    Record(Arc<Record>),
}

/// A table of the account format with its known keys.
#[derive(Debug, PartialEq)]
pub struct Record {
    pub fields: BTreeMap<String, Shape>,
}

impl Shape {
    /// The whole account file (`$`, the `account` of an expression).
    pub fn account() -> &'static Shape {
        static ACCOUNT: OnceLock<Shape> = OnceLock::new();
        ACCOUNT.get_or_init(|| {
            let schema = serde_json::to_value(schemars::schema_for!(super::Account)).unwrap_or_default();
            from_schema(&schema, &schema, 0)
        })
    }

    /// What the elements of a list, or the values of a table, are: what iterating over this
    /// value yields as its second variable. `None` when it cannot be iterated.
    pub fn element(&self) -> Option<Shape> {
        match self {
            Shape::List(element) | Shape::Map(element) => Some(element.as_ref().clone()),
            Shape::Record(_) | Shape::Any => Some(Shape::Any),
            _ => None,
        }
    }

    /// A short name for messages: "a string", "a list".
    pub fn describe(&self) -> &'static str {
        match self {
            Shape::Any => "a value",
            Shape::Bool => "a boolean",
            Shape::Int => "an integer",
            Shape::Float => "a number",
            Shape::Str => "a string",
            Shape::Time => "a timestamp",
            Shape::List(_) => "a list",
            Shape::Map(_) | Shape::Record(_) => "a table",
        }
    }
}

/// Follows `$ref`, and the nullable `anyOf` and `type: [T, "null"]` that optional fields
/// produce, down to the shape they stand for.
fn from_schema(schema: &Value, node: &Value, depth: usize) -> Shape {
    // The model is not recursive; the limit only guards against a schema that would be.
    if depth > 32 {
        return Shape::Any;
    }
    let recurse = |node: &Value| from_schema(schema, node, depth + 1);
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        if name == "Timestamp" {
            return Shape::Time;
        }
        return schema["$defs"].get(name).map_or(Shape::Any, recurse);
    }
    if let Some(options) = node.get("anyOf").and_then(Value::as_array) {
        let shapes: Vec<Shape> = options
            .iter()
            .filter(|option| option.get("type") != Some(&Value::from("null")))
            .map(recurse)
            .collect();
        return match shapes.as_slice() {
            [one] => one.clone(),
            _ => Shape::Any,
        };
    }
    let kind = match node.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .unwrap_or(""),
        _ => "",
    };
    match kind {
        "boolean" => Shape::Bool,
        "integer" => Shape::Int,
        "number" => Shape::Float,
        "string" => Shape::Str,
        "array" => Shape::List(Arc::new(node.get("items").map_or(Shape::Any, recurse))),
        "object" => match node.get("properties").and_then(Value::as_object) {
            Some(properties) => Shape::Record(Arc::new(Record {
                fields: properties
                    .iter()
                    .map(|(name, field)| (name.clone(), recurse(field)))
                    .collect(),
            })),
            None => match node.get("additionalProperties") {
                Some(values) if values.is_object() => Shape::Map(Arc::new(recurse(values))),
                _ => Shape::Any,
            },
        },
        _ => Shape::Any,
    }
}

/// What a `for_each` path selects, as the rule's expressions see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// `item`.
    pub item: Shape,
    /// `parent`: the table above the item (`None` for `$`, which has none).
    pub parent: Option<Shape>,
    /// Whether `key` is bound: the path ends by iterating a table's entries.
    pub key: bool,
    /// Whether `index` is bound: the path ends at an element of a list.
    pub index: bool,
}

/// The shapes a `for_each` path selects, or why it selects nothing: every member name must
/// exist where the path uses it, so `$.image[*]` is a load error rather than a rule that never
/// applies. The error carries the byte offset of the bad step and a message.
pub fn select(path: &JsonPath) -> Result<Selection, (usize, String)> {
    let mut selection = Selection {
        item: Shape::account().clone(),
        parent: None,
        key: false,
        index: false,
    };
    for (step, offset) in path.steps() {
        let node = std::mem::replace(&mut selection.item, Shape::Any);
        // As the engine walks (`jsonpath::Walker`): a step from a table makes that table the
        // parent; a step into a list, or over a table's entries, keeps the table above.
        let from_table = matches!(node, Shape::Record(_) | Shape::Map(_) | Shape::Any);
        let parent = if from_table && matches!(step, Step::Member(_)) {
            Some(node.clone())
        } else {
            selection.parent.take()
        };
        selection.key = false;
        selection.index = false;
        selection.item = match (step, &node) {
            (Step::Member(name), Shape::Record(record)) => match record.fields.get(name) {
                Some(child) => child.clone(),
                None => {
                    let known = record.fields.keys().map(String::as_str);
                    let hint = match crate::suggest::did_you_mean(name, known.clone()) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!("keys here: {}", known.collect::<Vec<_>>().join(", ")),
                    };
                    return Err((offset, format!("the account file has no `{name}` here ({hint})")));
                }
            },
            (Step::Member(_), Shape::Map(values)) => values.as_ref().clone(),
            (Step::Wildcard, Shape::Map(values)) => {
                selection.key = true;
                values.as_ref().clone()
            }
            // A wildcard over a record's fields has no single shape.
            (Step::Wildcard, Shape::Record(_)) => {
                selection.key = true;
                Shape::Any
            }
            (Step::Element | Step::Wildcard, Shape::List(element)) => {
                selection.index = true;
                element.as_ref().clone()
            }
            (_, Shape::Any) => {
                selection.key = matches!(step, Step::Wildcard);
                selection.index = !matches!(step, Step::Member(_));
                Shape::Any
            }
            (Step::Member(name), _) => {
                return Err((
                    offset,
                    format!("`{name}` cannot be selected here: the value is not a table"),
                ));
            }
            (Step::Element, _) => {
                return Err((
                    offset,
                    "an index selects from an array, and this is not one".to_owned(),
                ));
            }
            (Step::Wildcard, _) => {
                return Err((
                    offset,
                    "`*` selects from an array or table, and this is neither".to_owned(),
                ));
            }
        };
        selection.parent = parent;
    }
    Ok(selection)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(path: &str) -> Result<Selection, (usize, String)> {
        select(&JsonPath::parse(path).expect("the path parses"))
    }

    fn field<'a>(shape: &'a Shape, name: &str) -> &'a Shape {
        match shape {
            Shape::Record(record) => &record.fields[name],
            other => panic!("{other:?} is not a record"),
        }
    }

    #[test]
    fn the_account_shape_follows_the_model() {
        let account = Shape::account();
        let Shape::List(images) = field(account, "images") else {
            panic!("images is a list")
        };
        assert_eq!(field(images, "ref"), &Shape::Str);
        assert_eq!(field(images, "created"), &Shape::Time, "optional timestamps");
        assert_eq!(field(images, "issue_count"), &Shape::Int);
        assert_eq!(field(images, "env"), &Shape::List(Arc::new(Shape::Str)));
        assert_eq!(field(images, "labels"), &Shape::Map(Arc::new(Shape::Str)));
        let namespace = field(account, "namespaces").element().unwrap();
        assert_eq!(
            field(field(&namespace, "retention"), "images_per_repo"),
            &Shape::Int
        );
    }

    #[test]
    fn selections_bind_parent_key_and_index_as_the_engine_does() {
        let env = selection("$.images[*].env[*]").unwrap();
        assert_eq!(env.item, Shape::Str);
        assert!(env.index && !env.key);
        assert!(matches!(&env.parent, Some(Shape::Record(r)) if r.fields.contains_key("ref")));

        let labels = selection("$.images[*].labels.*").unwrap();
        assert_eq!(labels.item, Shape::Str);
        assert!(labels.key && !labels.index);
        assert!(matches!(&labels.parent, Some(Shape::Record(r)) if r.fields.contains_key("ref")));

        let account = selection("$").unwrap();
        assert!(account.parent.is_none() && !account.key && !account.index);

        let tracker = selection("$.activity_tracker").unwrap();
        assert!(matches!(&tracker.parent, Some(Shape::Record(r)) if r.fields.contains_key("images")));
    }

    #[test]
    fn a_misspelt_member_is_an_error_with_a_suggestion() {
        let (offset, message) = selection("$.namespaces[*].replica[*]").unwrap_err();
        assert_eq!(offset, 15);
        assert!(message.contains("did you mean `replicas`?"), "{message}");
        assert!(selection("$.images[*].ref[*]").is_err());
    }
}
