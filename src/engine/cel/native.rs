//! A native evaluator for the shapes most expressions are made of: field reads, `has()`,
//! comparisons, `!`, `? :`, `in`, `size`, `string`, `+` and `-`, string tests and helper calls. Some
//! twenty rules judge each of an account's images with such an expression; `cel`'s
//! interpreter spends most of their time setting up contexts and resolving names, and this
//! evaluator only reads the values.
//!
//! It never decides anything `cel` would not decide the same way:
//! - it evaluates the same tree as `cel` does, the strict, metered rewrite ([`super::strict`]),
//!   node by node and in the same order, and charges the meter what `cel` would charge (the
//!   metering calls are nodes of that tree, and helpers run through the same trampolines);
//! - it answers only for values whose meaning leaves no doubt (strings, integers, booleans,
//!   timestamps, tables and lists of the account). Anything else on the way (a missing field,
//!   a type it does not handle, an error of any kind, a budget passed) makes it give up, and the
//!   caller evaluates the expression with `cel` from the start, with the meter set back to where
//!   it was. So every error a rule reports is `cel`'s, worded as before.
//!
//! An expression with a node this evaluator does not know (a comprehension, a double, a map
//! literal, most methods) is not compiled here at all: it is `cel`'s alone.

use std::cmp::Ordering;

use cel::Value;
use cel::common::ast::{Expr as Ast, LiteralValue, operators};
use cel::common::types::{CelBool, CelInt, CelList, CelMap, CelMapKey, CelString, CelTimestamp};
use cel::common::value::{CowVal, Val};
use cel::parser::Expression;

use super::{Bindings, budget};

/// An expression compiled for native evaluation.
pub(super) struct Native(Box<Node>);

enum Node {
    /// A string, integer or boolean written in the expression.
    Literal(Box<dyn Val>),
    Bound(Bound),
    /// `operand.field`, or `has(operand.field)` when `test`.
    Select {
        operand: Box<Node>,
        key: CelMapKey<'static>,
        test: bool,
    },
    Not(Box<Node>),
    /// `condition ? then : otherwise`: every `&&` and `||` after the strict rewrite.
    Choose(Box<[Node; 3]>),
    Compare(Comparison, Box<[Node; 2]>),
    /// `element in container`.
    In(Box<Node>, Container),
    Add(Box<[Node; 2]>),
    Subtract(Box<[Node; 2]>),
    Size(Box<Node>),
    /// `string(value)` of a string or an integer.
    ToText(Box<Node>),
    /// `@cost(value)`: charges the size of `value` and passes it on.
    Cost(Box<Node>),
    /// A string method with one string argument.
    Method(Method, Box<[Node; 2]>),
    /// A regcheck helper, called through its trampoline (which charges the meter).
    Helper {
        index: usize,
        args: Box<[Node]>,
    },
}

#[derive(Clone, Copy)]
enum Bound {
    Account,
    Item,
    Params,
    AsOf,
    Parent,
    Key,
    Index,
}

#[derive(Clone, Copy)]
enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

#[derive(Clone, Copy)]
enum Method {
    Contains,
    StartsWith,
    EndsWith,
}

enum Container {
    /// A list written in the expression: its elements are all evaluated first, as `cel` builds
    /// the list before it searches it.
    Literal(Box<[Node]>),
    Value(Box<Node>),
}

impl Native {
    /// Compiles the strict, metered tree, or `None` when it has a node this evaluator does not
    /// handle.
    pub(super) fn compile(evaluated: &Expression) -> Option<Self> {
        compile(evaluated).map(|node| Native(Box::new(node)))
    }

    /// Evaluates, or `None` when `cel` must (the meter is then as it was before).
    pub(super) fn eval(&self, bindings: &Bindings<'_>) -> Option<Value> {
        let before = budget::snapshot();
        let value = eval(&self.0, bindings)
            .and_then(|value| value.into_value())
            // A budget spent before this evaluation fails it too: `cel`'s error says so.
            .filter(|_| budget::exhausted().is_none());
        if value.is_none() {
            budget::restore(before);
        }
        value
    }
}

fn compile(expression: &Expression) -> Option<Node> {
    let boxed = |expression: &Expression| compile(expression).map(Box::new);
    let pair = |args: &[Expression]| -> Option<Box<[Node; 2]>> {
        match args {
            [left, right] => Some(Box::new([compile(left)?, compile(right)?])),
            _ => None,
        }
    };
    Some(match &expression.expr {
        Ast::Literal(literal) => Node::Literal(match literal {
            LiteralValue::Boolean(value) => Box::new(CelBool::from(*value.inner())),
            LiteralValue::Int(value) => Box::new(CelInt::from(*value.inner())),
            LiteralValue::String(text) => Box::new(CelString::from(text.inner().to_owned())),
            _ => return None,
        }),
        Ast::Ident(name) => Node::Bound(match name.as_str() {
            "account" => Bound::Account,
            "item" => Bound::Item,
            "params" => Bound::Params,
            "as_of" => Bound::AsOf,
            "parent" => Bound::Parent,
            "key" => Bound::Key,
            "index" => Bound::Index,
            _ => return None,
        }),
        Ast::Select(select) => Node::Select {
            operand: boxed(&select.operand)?,
            key: CelMapKey::from(select.field.clone()),
            test: select.test,
        },
        Ast::Call(call) => {
            let name = call.func_name.as_str();
            match (call.target.as_deref(), call.args.as_slice()) {
                (None, [condition, then, otherwise]) if name == operators::CONDITIONAL => {
                    Node::Choose(Box::new([
                        compile(condition)?,
                        compile(then)?,
                        compile(otherwise)?,
                    ]))
                }
                (None, [value]) if name == operators::LOGICAL_NOT => Node::Not(boxed(value)?),
                (None, [value]) if name == budget::COST => Node::Cost(boxed(value)?),
                (None, [value]) if name == "string" => Node::ToText(boxed(value)?),
                (None, [value]) | (Some(value), []) if name == "size" => Node::Size(boxed(value)?),
                (None, [element, container]) if name == operators::IN => {
                    let container = match &container.expr {
                        Ast::List(list) if list.optional_indices.is_empty() => {
                            Container::Literal(list.elements.iter().map(compile).collect::<Option<_>>()?)
                        }
                        _ => Container::Value(boxed(container)?),
                    };
                    Node::In(boxed(element)?, container)
                }
                (None, args) if name == operators::ADD => Node::Add(pair(args)?),
                (None, args) if name == operators::SUBSTRACT => Node::Subtract(pair(args)?),
                (None, args) => match comparison(name) {
                    Some(comparison) => Node::Compare(comparison, pair(args)?),
                    None => {
                        let index = super::helpers::HELPERS
                            .iter()
                            .position(|helper| helper.name == name && helper.arity == args.len())?;
                        Node::Helper {
                            index,
                            args: args.iter().map(compile).collect::<Option<_>>()?,
                        }
                    }
                },
                (Some(target), [argument]) => {
                    let method = match name {
                        "contains" => Method::Contains,
                        "startsWith" => Method::StartsWith,
                        "endsWith" => Method::EndsWith,
                        _ => return None,
                    };
                    // `a.b.contains(x)` could name a function `a.b.contains`: none is declared,
                    // but `cel` would look, so only a value's method is taken here.
                    if !is_value(target) {
                        return None;
                    }
                    Node::Method(method, Box::new([compile(target)?, compile(argument)?]))
                }
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// Whether an expression is a value rather than a name that could be a function namespace:
/// a path that starts at a bound name, or anything that is not a path.
fn is_value(expression: &Expression) -> bool {
    match &expression.expr {
        Ast::Select(select) if !select.test => is_value(&select.operand),
        Ast::Ident(name) => super::BOUND_NAMES.contains(&name.as_str()),
        _ => true,
    }
}

fn comparison(name: &str) -> Option<Comparison> {
    Some(match name {
        operators::EQUALS => Comparison::Equal,
        operators::NOT_EQUALS => Comparison::NotEqual,
        operators::LESS => Comparison::Less,
        operators::LESS_EQUALS => Comparison::LessOrEqual,
        operators::GREATER => Comparison::Greater,
        operators::GREATER_EQUALS => Comparison::GreaterOrEqual,
        _ => return None,
    })
}

/// A value met during an evaluation: held natively, or a value of `cel`'s.
enum Held<'a> {
    Bool(bool),
    Int(i64),
    /// A string that is not a value of the account or the expression (`key`, a concatenation).
    Text(std::borrow::Cow<'a, str>),
    /// A value of the account, of the expression, or one a helper lent.
    Place(&'a dyn Val),
    /// A value a helper made.
    Made(Box<dyn Val + 'a>),
}

/// A value that equality and ordering are sure about.
#[derive(PartialEq, PartialOrd)]
enum Scalar<'s> {
    Text(&'s str),
    Int(i64),
    Bool(bool),
    Time(chrono::DateTime<chrono::FixedOffset>),
}

impl<'a> Held<'a> {
    fn val(&self) -> Option<&dyn Val> {
        match self {
            Held::Place(value) => Some(*value),
            Held::Made(value) => Some(value.as_ref()),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Held::Bool(value) => Some(*value),
            other => other.val()?.downcast_ref::<CelBool>().map(|value| *value.inner()),
        }
    }

    fn scalar(&self) -> Option<Scalar<'_>> {
        Some(match self {
            Held::Bool(value) => Scalar::Bool(*value),
            Held::Int(value) => Scalar::Int(*value),
            Held::Text(text) => Scalar::Text(text.as_ref()),
            other => {
                let value = other.val()?;
                if let Some(text) = value.downcast_ref::<CelString>() {
                    Scalar::Text(text.inner())
                } else if let Some(number) = value.downcast_ref::<CelInt>() {
                    Scalar::Int(*number.inner())
                } else if let Some(flag) = value.downcast_ref::<CelBool>() {
                    Scalar::Bool(*flag.inner())
                } else if let Some(time) = value.downcast_ref::<CelTimestamp>() {
                    Scalar::Time(*time.inner())
                } else {
                    return None;
                }
            }
        })
    }

    fn as_str(&self) -> Option<&str> {
        match self.scalar()? {
            Scalar::Text(text) => Some(text),
            _ => None,
        }
    }

    fn as_int(&self) -> Option<i64> {
        match self.scalar()? {
            Scalar::Int(number) => Some(number),
            _ => None,
        }
    }

    /// The size the meter charges for (`budget::size_of`).
    fn metered_size(&self) -> u64 {
        match self {
            Held::Bool(_) | Held::Int(_) => 0,
            Held::Text(text) => text.len() as u64,
            Held::Place(value) => budget::size_of(*value),
            Held::Made(value) => budget::size_of(value.as_ref()),
        }
    }

    /// The value as a helper's argument, as `cel` would pass it: values of the account
    /// borrowed (the trampoline recognises the account's shared sections by address).
    fn into_argument(self) -> CowVal<'a, 'a> {
        match self {
            Held::Bool(value) => CowVal::Owned(Box::new(CelBool::from(value))),
            Held::Int(value) => CowVal::Owned(Box::new(CelInt::from(value))),
            Held::Text(std::borrow::Cow::Borrowed(text)) => CowVal::Owned(Box::new(CelString::from(text))),
            Held::Text(std::borrow::Cow::Owned(text)) => CowVal::Owned(Box::new(CelString::from(text))),
            Held::Place(value) => CowVal::Borrowed(value),
            Held::Made(value) => CowVal::Owned(value),
        }
    }

    fn into_value(self) -> Option<Value> {
        Some(match self {
            Held::Bool(value) => Value::Bool(value),
            Held::Int(value) => Value::Int(value),
            Held::Text(text) => Value::String(std::sync::Arc::new(text.into_owned())),
            Held::Place(value) => Value::try_from(value).ok()?,
            Held::Made(value) => Value::try_from(value.as_ref()).ok()?,
        })
    }
}

fn eval<'a>(node: &'a Node, bindings: &Bindings<'a>) -> Option<Held<'a>> {
    Some(match node {
        Node::Literal(value) => Held::Place(value.as_ref()),
        Node::Bound(bound) => match bound {
            Bound::Account => Held::Place(bindings.account.0),
            Bound::Item => Held::Place(bindings.item.0),
            Bound::Params => Held::Place(bindings.params.0),
            Bound::AsOf => Held::Place(bindings.as_of.0),
            Bound::Parent => Held::Place(bindings.parent?.0),
            Bound::Key => Held::Text(std::borrow::Cow::Borrowed(bindings.key?)),
            Bound::Index => Held::Int(bindings.index?),
        },
        Node::Select { operand, key, test } => {
            let operand = eval(operand, bindings)?;
            match operand {
                Held::Place(value) => {
                    let map = value.downcast_ref::<CelMap>()?.inner();
                    if *test {
                        Held::Bool(map.contains_key(key))
                    } else {
                        Held::Place(map.get(key)?.as_ref())
                    }
                }
                Held::Made(value) => {
                    let map = value.downcast_ref::<CelMap>()?.inner();
                    if *test {
                        Held::Bool(map.contains_key(key))
                    } else {
                        Held::Made(map.get(key)?.clone_as_boxed())
                    }
                }
                _ => return None,
            }
        }
        Node::Not(value) => Held::Bool(!eval(value, bindings)?.as_bool()?),
        Node::Choose(branches) => {
            let [condition, then, otherwise] = branches.as_ref();
            if eval(condition, bindings)?.as_bool()? {
                eval(then, bindings)?
            } else {
                eval(otherwise, bindings)?
            }
        }
        Node::Compare(comparison, sides) => {
            let [left, right] = sides.as_ref();
            let (left, right) = (eval(left, bindings)?, eval(right, bindings)?);
            Held::Bool(compare(*comparison, &left.scalar()?, &right.scalar()?)?)
        }
        Node::In(element, container) => {
            let element = eval(element, bindings)?;
            let element = element.scalar()?;
            let mut found = false;
            match container {
                Container::Literal(items) => {
                    let items: Vec<Held<'a>> = items
                        .iter()
                        .map(|item| eval(item, bindings))
                        .collect::<Option<_>>()?;
                    for item in &items {
                        found |= compare(Comparison::Equal, &element, &item.scalar()?)?;
                    }
                }
                Container::Value(list) => {
                    let list = eval(list, bindings)?;
                    for item in list.val()?.downcast_ref::<CelList>()?.inner() {
                        let item = Held::Place(item.as_ref());
                        found |= compare(Comparison::Equal, &element, &item.scalar()?)?;
                    }
                }
            }
            Held::Bool(found)
        }
        Node::Add(sides) => {
            let [left, right] = sides.as_ref();
            let (left, right) = (eval(left, bindings)?, eval(right, bindings)?);
            match (left.scalar()?, right.scalar()?) {
                (Scalar::Int(left), Scalar::Int(right)) => Held::Int(left.checked_add(right)?),
                (Scalar::Text(left), Scalar::Text(right)) => {
                    Held::Text(std::borrow::Cow::Owned([left, right].concat()))
                }
                _ => return None,
            }
        }
        Node::Subtract(sides) => {
            let [left, right] = sides.as_ref();
            let (left, right) = (eval(left, bindings)?, eval(right, bindings)?);
            Held::Int(left.as_int()?.checked_sub(right.as_int()?)?)
        }
        Node::Size(value) => {
            let value = eval(value, bindings)?;
            let size = if let Some(text) = value.as_str() {
                // CEL counts a string's code points.
                text.chars().count()
            } else {
                let value = value.val()?;
                if let Some(list) = value.downcast_ref::<CelList>() {
                    list.inner().len()
                } else {
                    value.downcast_ref::<CelMap>()?.inner().len()
                }
            };
            Held::Int(i64::try_from(size).ok()?)
        }
        Node::ToText(value) => {
            let value = eval(value, bindings)?;
            match value.scalar()? {
                Scalar::Int(number) => Held::Text(std::borrow::Cow::Owned(number.to_string())),
                Scalar::Text(_) => value,
                _ => return None,
            }
        }
        Node::Cost(value) => {
            let value = eval(value, bindings)?;
            budget::charge(1 + value.metered_size()).ok()?;
            value
        }
        Node::Method(method, operands) => {
            let [target, argument] = operands.as_ref();
            let (target, argument) = (eval(target, bindings)?, eval(argument, bindings)?);
            let (text, part) = (target.as_str()?, argument.as_str()?);
            Held::Bool(match method {
                Method::Contains => text.contains(part),
                Method::StartsWith => text.starts_with(part),
                Method::EndsWith => text.ends_with(part),
            })
        }
        Node::Helper { index, args } => {
            let args: Vec<CowVal<'a, 'a>> = args
                .iter()
                .map(|arg| eval(arg, bindings).map(Held::into_argument))
                .collect::<Option<_>>()?;
            match super::TRAMPOLINES[*index](args).ok()? {
                CowVal::Borrowed(value) => Held::Place(value),
                CowVal::Owned(value) => Held::Made(value),
            }
        }
    })
}

/// `left <comparison> right` for values of one type; `None` (to `cel`) for mixed types, where
/// CEL's rules (`1 == 1.0`, errors for ordering) are `cel`'s to apply.
fn compare(comparison: Comparison, left: &Scalar<'_>, right: &Scalar<'_>) -> Option<bool> {
    if std::mem::discriminant(left) != std::mem::discriminant(right) {
        return None;
    }
    let equal_only = matches!(comparison, Comparison::Equal | Comparison::NotEqual);
    match (left, right) {
        // Booleans are not ordered in CEL; timestamps are compared by `cel` for equality.
        (Scalar::Bool(_), _) if !equal_only => return None,
        (Scalar::Time(_), _) if equal_only => return None,
        _ => {}
    }
    let order = left.partial_cmp(right)?;
    Some(match comparison {
        Comparison::Equal => order == Ordering::Equal,
        Comparison::NotEqual => order != Ordering::Equal,
        Comparison::Less => order == Ordering::Less,
        Comparison::LessOrEqual => order != Ordering::Greater,
        Comparison::Greater => order == Ordering::Greater,
        Comparison::GreaterOrEqual => order != Ordering::Less,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{DateTime, Utc};

    use super::super::{Bindings, Document, Expr, Value, budget, compile};
    use crate::engine::data::Data;

    fn time(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn item() -> Document {
        let text = |value: &str| Data::Str(value.to_owned());
        let map = |entries: Vec<(&str, Data)>| {
            Data::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect::<BTreeMap<_, _>>(),
            )
        };
        Document::from_data(&map(vec![
            ("ref", text("us.icr.io/shop/api:1")),
            ("count", Data::Int(3)),
            ("largest", Data::Int(i64::MAX)),
            ("flag", Data::Bool(true)),
            ("name", text("héllo")),
            ("created", Data::Time(time("2026-11-01T00:00:00Z"))),
            ("tags", Data::List(vec![text("a"), text("b")])),
            ("ratio", Data::Float(0.5)),
            ("nested", map(vec![("inner", text("v"))])),
        ]))
    }

    fn with<T>(run: impl FnOnce(&Bindings<'_>) -> T) -> T {
        let (item, as_of, params) = (
            item(),
            Document::from_data(&Data::Time(time("2026-12-01T00:00:00Z"))),
            Document::from_data(&Data::Map(BTreeMap::new())),
        );
        run(&Bindings {
            account: item.root(),
            params: params.root(),
            as_of: as_of.root(),
            item: item.root(),
            parent: None,
            key: Some("k"),
            index: Some(2),
        })
    }

    /// The expression's result and the meter after it, through `Expr::eval` (native first), and
    /// through `cel` alone, each on a fresh meter of `limit`.
    type Outcome = (Result<Value, String>, budget::Snapshot);
    fn both_ways(expr: &Expr, bindings: &Bindings<'_>, limit: u64) -> (Outcome, Outcome) {
        let native = {
            let _meter = budget::meter(limit);
            (expr.eval(bindings), budget::snapshot())
        };
        let compiled = expr.compiled().expect("compiles");
        let by_cel = {
            let _meter = budget::meter(limit);
            (Expr::eval_with_cel(compiled, bindings), budget::snapshot())
        };
        (native, by_cel)
    }

    #[test]
    fn native_answers_are_cels() {
        let cases: &[(&str, Value)] = &[
            ("has(item.ref) && item.ref != 'x'", Value::Bool(true)),
            ("has(item.missing) || has(item.nested.inner)", Value::Bool(true)),
            ("!has(item.missing) && item.count - 1 == 2", Value::Bool(true)),
            ("size(item.name) == 5 && item.tags.size() == 2", Value::Bool(true)),
            (
                "item.name.contains('é') && item.ref.startsWith('us.') && item.ref.endsWith(':1')",
                Value::Bool(true),
            ),
            ("item.ref in ['a', 'us.icr.io/shop/api:1']", Value::Bool(true)),
            ("'c' in item.tags || !('b' in item.tags)", Value::Bool(false)),
            ("item.created < as_of && as_of >= item.created", Value::Bool(true)),
            ("item.count > 3 || item.count <= 2", Value::Bool(false)),
            (
                "key + ':' + string(index) + ':' + string(item.nested.inner)",
                Value::String("k:2:v".to_owned().into()),
            ),
            ("age_days(item.created, as_of)", Value::Int(30)),
            (
                "!item.flag ? 'no' : 'yes'",
                Value::String("yes".to_owned().into()),
            ),
            ("item.flag == true && item.ref == item.ref", Value::Bool(true)),
        ];
        with(|bindings| {
            for (source, expected) in cases {
                let expr = compile(source).unwrap();
                assert!(expr.is_native(), "`{source}` is evaluated natively");
                let ((native, native_spent), (by_cel, cel_spent)) = both_ways(&expr, bindings, 1_000);
                assert_eq!(native.as_ref(), Ok(expected), "{source}");
                assert_eq!(by_cel.as_ref(), Ok(expected), "{source}");
                assert_eq!(native_spent, cel_spent, "`{source}` costs what it costs in cel");
            }
        });
    }

    #[test]
    fn where_the_native_evaluator_is_unsure_cel_decides() {
        // Each is compiled natively, and each meets something the native evaluator leaves to
        // cel: an absent field, mixed types, an overflow, timestamps compared for equality,
        // a condition that is not a boolean, an unbound name, a double.
        let cases = [
            "item.missing == 'x'",
            "item.count == '3'",
            "item.largest + 1 > 0",
            "item.ref in [1, 'us.icr.io/shop/api:1']",
            "item.created == item.created",
            "item.count ? 1 : 2",
            "parent.region == 'x'",
            "item.ratio < item.count",
            "size(item.count) == 0",
        ];
        with(|bindings| {
            for source in cases {
                let expr = compile(source).unwrap();
                assert!(expr.is_native(), "`{source}` is evaluated natively");
                let (native, by_cel) = both_ways(&expr, bindings, 1_000);
                assert_eq!(native, by_cel, "`{source}` is decided by cel, meter included");
            }
        });
    }

    #[test]
    fn a_budget_passed_natively_is_cels_error_with_cels_meter() {
        with(|bindings| {
            // Each side of an unbounded comparison costs 1 + its length (20).
            let expr = compile("item.ref == item.ref").unwrap();
            assert!(expr.is_native());
            let (native, by_cel) = both_ways(&expr, bindings, 41);
            assert!(
                native.0.as_ref().is_err_and(|e| e.contains("budget exhausted")),
                "{native:?}"
            );
            assert_eq!(native, by_cel);
            let (native, by_cel) = both_ways(&expr, bindings, 42);
            assert_eq!(native.0, Ok(Value::Bool(true)));
            assert_eq!(native, by_cel);
        });
    }

    #[test]
    fn comprehensions_doubles_and_literal_maps_are_left_to_cel() {
        for source in [
            "item.tags.exists(t, t == 'a')",
            "1.5 < 2.0",
            "{'a': 1}.a == 1",
            "item.ref.lowerAscii() == 'x'",
        ] {
            assert!(!compile(source).unwrap().is_native(), "{source}");
        }
    }

    #[test]
    fn the_checks_that_judge_every_image_run_natively() {
        let policies = crate::policy::builtin_checked().expect("built-ins load");
        for id in [
            "ICR-VA-002",
            "ICR-VA-003",
            "ICR-VA-004",
            "ICR-VA-005",
            "ICR-VA-007",
            "ICR-SEC-006",
        ] {
            let policy = policies.iter().find(|policy| policy.id == id).expect("built-in");
            for check in &policy.checks {
                assert!(check.assert.value.is_native(), "{id}'s assert");
                assert!(
                    check.when.iter().all(|when| when.value.is_native()),
                    "{id}'s when"
                );
            }
        }
    }
}
