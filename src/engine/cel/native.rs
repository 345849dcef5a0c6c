//! A native evaluator for the shapes most expressions are made of: field reads, `has()`,
//! comparisons, `!`, `? :`, `in`, `size`, `string`, `+` and `-`, string tests, `replace`,
//! `split` and `lowerAscii`, list and map literals, list indexing, `exists`, `all`, `filter` and
//! `map` over lists, `join`, and helper calls. Some twenty rules judge each of an account's
//! images with such expressions; `cel`'s interpreter spends most of their time setting up
//! contexts, resolving names and copying values, where this evaluator only reads them.
//!
//! It never decides anything `cel` would not decide the same way:
//! - it evaluates the same tree as `cel` does, the strict, metered rewrite ([`super::strict`]),
//!   node by node and in the same order, and charges the meter what `cel` would charge (the
//!   metering calls are nodes of that tree, and helpers run through the same trampolines);
//! - it answers only for values whose meaning leaves no doubt (strings, integers, booleans,
//!   timestamps, tables and lists). Anything else on the way (a missing field, a type it does
//!   not handle, an error of any kind, a budget passed) makes it give up, and the caller
//!   evaluates the expression with `cel` from the start, with the meter set back to where it
//!   was. So every error a rule reports is `cel`'s, worded as before.
//!
//! An expression with a node this evaluator does not know (a double, a duration, a map whose
//! keys are not written as strings, most methods) is not compiled here at all: it is `cel`'s
//! alone. In test builds every answer is checked against `cel`'s (`Expr::eval`).

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex};

use cel::Value;
use cel::common::ast::{EntryExpr, Expr as Ast, LiteralValue, operators};
use cel::common::types::{CelBool, CelInt, CelList, CelMap, CelMapKey, CelString, CelTimestamp};
use cel::common::value::{CowVal, Val};
use cel::parser::Expression;
use typed_arena::Arena;

use super::{Bindings, budget};

/// An expression compiled for native evaluation.
pub(super) struct Native(Box<Node>);

enum Node {
    /// A string, integer or boolean written in the expression.
    Literal(Box<dyn Val>),
    Bound(Bound),
    /// A comprehension's variable, by its place among those in scope (outermost first).
    Local(usize),
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
    In(Box<[Node; 2]>),
    /// A list written in the expression (also `[x]` in the step of `map` and `filter`).
    List(Box<[Node]>),
    /// A map written in the expression, its keys string literals, each written once.
    Map(Box<[(CelMapKey<'static>, Node)]>),
    Add(Box<[Node; 2]>),
    Subtract(Box<[Node; 2]>),
    /// `list[index]` with an integer index within the list (a map's key is left to `cel`).
    Index(Box<[Node; 2]>),
    Size(Box<Node>),
    /// `string(value)` of a string or an integer.
    ToText(Box<Node>),
    /// `@cost(value)`: charges the size of `value` and passes it on.
    Cost(Box<Node>),
    /// `@step(element, value)`: one step of a comprehension; passes `value` on.
    Step(Box<[Node; 2]>),
    /// `@cost_join(list[, separator])`: charges what `join` will build; passes the list on.
    CostJoin(Box<[Node]>),
    /// `list.join([separator])`.
    Join(Box<[Node]>),
    /// `@cost_distinct(list)`: charges the comparisons `distinct` makes; passes the list on.
    CostDistinct(Box<Node>),
    /// `list.distinct()` of a list of strings (any other is left to `cel`).
    Distinct(Box<Node>),
    /// `@cost_replace(text, from, to)`: charges the most `replace` can build; passes `text` on.
    CostReplace(Box<[Node; 3]>),
    /// `text.replace(from, to)`.
    Replace(Box<[Node; 3]>),
    /// `@not_strictly_false(value)`, the loop condition of `exists` and `all`.
    NotStrictlyFalse(Box<Node>),
    /// A string method with one string argument.
    Method(Method, Box<[Node; 2]>),
    /// `text.split(separator)`, or with a limit `text.split(separator, limit)`: at most `limit`
    /// parts, the last the unsplit rest; none for 0, every part for a negative limit.
    Split(Box<[Node]>),
    /// `text.lowerAscii()`.
    LowerAscii(Box<Node>),
    /// A regcheck helper, called through its trampoline (which charges the meter).
    Helper {
        index: usize,
        args: Box<[Node]>,
    },
    /// A comprehension over a list; its variable and accumulator are the next two locals
    /// (so a comprehension's variable is a local of even index, see [`is_loop_variable`]).
    Loop(Box<Loop>),
    /// A helper call or a comprehension that reads no variable of an enclosing comprehension:
    /// it has one value per subject, kept in the subject's [`SubjectMemo`] under `key` (the
    /// same for the same part written in another expression of the rule).
    Remembered {
        key: u32,
        node: Box<Node>,
    },
}

struct Loop {
    init: Node,
    range: Node,
    condition: Node,
    step: Node,
    result: Node,
}

#[derive(Clone, Copy, Debug)]
enum Bound {
    Account,
    Item,
    Params,
    AsOf,
    Parent,
    Key,
    Index,
}

#[derive(Clone, Copy, Debug)]
enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

#[derive(Clone, Copy, Debug)]
enum Method {
    Contains,
    StartsWith,
    EndsWith,
    /// A regular expression, compiled once per process (`cel` compiles it on every call); an
    /// invalid one is left to `cel`, which reports it.
    Matches,
}

impl Native {
    /// Compiles the strict, metered tree, or `None` when it has a node this evaluator does not
    /// handle.
    pub(super) fn compile(evaluated: &Expression) -> Option<Self> {
        let mut compiler = Compiler { locals: Vec::new() };
        compiler.compile(evaluated).map(|node| Native(Box::new(node)))
    }

    /// Evaluates, or `None` when `cel` must (the meter is then as it was before).
    pub(super) fn eval<'a>(&'a self, bindings: &Bindings<'a>) -> Option<Value> {
        match bindings.memo {
            Some(memo) => self.eval_with(bindings, memo),
            None => {
                let memo = SubjectMemo::default();
                self.eval_with(&bindings.remembering(&memo), &memo)
            }
        }
    }

    fn eval_with<'a>(&'a self, bindings: &Bindings<'a>, memo: &'a SubjectMemo<'a>) -> Option<Value> {
        let before = budget::snapshot();
        let mut evaluation = Evaluation {
            bindings,
            memo,
            locals: Vec::new(),
        };
        let value = evaluation
            .eval(&self.0)
            .and_then(Held::into_value)
            // A budget spent before this evaluation fails it too: `cel`'s error says so.
            .filter(|_| budget::exhausted().is_none());
        if value.is_none() {
            budget::restore(before);
        }
        value
    }
}

struct Compiler {
    /// The comprehension variables in scope, outermost first.
    locals: Vec<String>,
}

impl Compiler {
    fn compile(&mut self, expression: &Expression) -> Option<Node> {
        let node = self.compile_node(expression)?;
        Some(self.remember(node))
    }

    /// Marks a helper call or a comprehension that reads no variable of an enclosing
    /// comprehension as [`Node::Remembered`].
    fn remember(&self, node: Node) -> Node {
        if !matches!(node, Node::Helper { .. } | Node::Loop(_)) {
            return node;
        }
        let depth = self.locals.len();
        if lowest_local(&node).is_some_and(|lowest| lowest < depth) {
            return node;
        }
        let mut written = Vec::new();
        describe(&node, depth, &mut written);
        Node::Remembered {
            key: key_of(written),
            node: Box::new(node),
        }
    }

    fn compile_node(&mut self, expression: &Expression) -> Option<Node> {
        Some(match &expression.expr {
            Ast::Literal(literal) => Node::Literal(match literal {
                LiteralValue::Boolean(value) => Box::new(CelBool::from(*value.inner())),
                LiteralValue::Int(value) => Box::new(CelInt::from(*value.inner())),
                LiteralValue::String(text) => Box::new(CelString::from(text.inner().to_owned())),
                _ => return None,
            }),
            Ast::Ident(name) => match self.locals.iter().rposition(|local| local == name) {
                Some(at) => Node::Local(at),
                None => Node::Bound(match name.as_str() {
                    "account" => Bound::Account,
                    "item" => Bound::Item,
                    "params" => Bound::Params,
                    "as_of" => Bound::AsOf,
                    "parent" => Bound::Parent,
                    "key" => Bound::Key,
                    "index" => Bound::Index,
                    _ => return None,
                }),
            },
            Ast::Select(select) => Node::Select {
                operand: self.boxed(&select.operand)?,
                key: CelMapKey::from(select.field.clone()),
                test: select.test,
            },
            Ast::List(list) if list.optional_indices.is_empty() => {
                let items = self.all(&list.elements)?;
                // A list of literals (`['scanning', 'incomplete']`) is made once, here, rather
                // than at every evaluation.
                let literals: Vec<Box<dyn Val>> = items
                    .iter()
                    .filter_map(|item| match item {
                        Node::Literal(value) => super::owned_copy(value.as_ref()),
                        _ => None,
                    })
                    .collect();
                if !items.is_empty() && literals.len() == items.len() {
                    Node::Literal(Box::new(CelList::from(literals)))
                } else {
                    Node::List(items)
                }
            }
            Ast::Map(map) => {
                let mut entries: Vec<(CelMapKey<'static>, Node)> = Vec::with_capacity(map.entries.len());
                let mut keys = std::collections::HashSet::with_capacity(map.entries.len());
                for entry in &map.entries {
                    let EntryExpr::MapEntry(entry) = &entry.expr else {
                        return None;
                    };
                    let Ast::Literal(LiteralValue::String(key)) = &entry.key.expr else {
                        return None;
                    };
                    // An optional entry, or a key written twice (`cel`'s error), is left to `cel`.
                    if entry.optional || !keys.insert(key.inner()) {
                        return None;
                    }
                    let key = CelMapKey::from(key.inner().to_owned());
                    entries.push((key, self.compile(&entry.value)?));
                }
                Node::Map(entries.into_boxed_slice())
            }
            Ast::Call(call) => self.call(&call.func_name, call.target.as_deref(), &call.args)?,
            Ast::Comprehension(comprehension) => {
                // cel resolves the bound names before a comprehension's own variables: a
                // variable named like one is left to cel.
                let names = [&comprehension.iter_var, &comprehension.accu_var];
                if comprehension.iter_var2.is_some()
                    || names
                        .iter()
                        .any(|name| super::BOUND_NAMES.contains(&name.as_str()))
                {
                    return None;
                }
                let init = self.compile(&comprehension.accu_init)?;
                let range = self.compile(&comprehension.iter_range)?;
                self.locals.push(comprehension.iter_var.clone());
                self.locals.push(comprehension.accu_var.clone());
                let body = (|| {
                    Some((
                        self.compile(&comprehension.loop_cond)?,
                        self.compile(&comprehension.loop_step)?,
                        self.compile(&comprehension.result)?,
                    ))
                })();
                self.locals.truncate(self.locals.len() - 2);
                let (condition, step, result) = body?;
                Node::Loop(Box::new(Loop {
                    init,
                    range,
                    condition,
                    step,
                    result,
                }))
            }
            _ => return None,
        })
    }

    fn boxed(&mut self, expression: &Expression) -> Option<Box<Node>> {
        self.compile(expression).map(Box::new)
    }

    fn all(&mut self, expressions: &[Expression]) -> Option<Box<[Node]>> {
        expressions
            .iter()
            .map(|expression| self.compile(expression))
            .collect()
    }

    fn pair(&mut self, expressions: &[Expression]) -> Option<Box<[Node; 2]>> {
        match expressions {
            [left, right] => Some(Box::new([self.compile(left)?, self.compile(right)?])),
            _ => None,
        }
    }

    fn call(&mut self, name: &str, target: Option<&Expression>, args: &[Expression]) -> Option<Node> {
        Some(match (target, args) {
            (None, [condition, then, otherwise]) if name == operators::CONDITIONAL => {
                Node::Choose(Box::new([
                    self.compile(condition)?,
                    self.compile(then)?,
                    self.compile(otherwise)?,
                ]))
            }
            (None, [value]) if name == operators::LOGICAL_NOT => Node::Not(self.boxed(value)?),
            (None, [value]) if name == operators::NOT_STRICTLY_FALSE => {
                Node::NotStrictlyFalse(self.boxed(value)?)
            }
            (None, [value]) if name == budget::COST => Node::Cost(self.boxed(value)?),
            (None, [value]) if name == "string" => Node::ToText(self.boxed(value)?),
            (None, [value]) | (Some(value), []) if name == "size" => Node::Size(self.boxed(value)?),
            (None, [_, _]) if name == budget::STEP => Node::Step(self.pair(args)?),
            (None, [_] | [_, _]) if name == budget::COST_JOIN => Node::CostJoin(self.all(args)?),
            (None, [list]) if name == budget::COST_DISTINCT => Node::CostDistinct(self.boxed(list)?),
            (None, [text, from, to]) if name == budget::COST_REPLACE => Node::CostReplace(Box::new([
                self.compile(text)?,
                self.compile(from)?,
                self.compile(to)?,
            ])),
            (None, [_, _]) if name == operators::IN => Node::In(self.pair(args)?),
            (None, [_, _]) if name == operators::ADD => Node::Add(self.pair(args)?),
            (None, [_, _]) if name == operators::SUBSTRACT => Node::Subtract(self.pair(args)?),
            (None, [_, _]) if name == operators::INDEX => Node::Index(self.pair(args)?),
            (None, [_, _]) if comparison(name).is_some() => {
                Node::Compare(comparison(name)?, self.pair(args)?)
            }
            (None, args) => {
                let index = super::helpers::HELPERS
                    .iter()
                    .position(|helper| helper.name == name && helper.arity == args.len())?;
                Node::Helper {
                    index,
                    args: self.all(args)?,
                }
            }
            // `a.b.join()` could name a function `a.b.join`: none is declared, but `cel` would
            // look, so only a value's method is taken here.
            (Some(target), _) if super::strict::is_namespace(target, &self.locals) => return None,
            (Some(target), []) | (Some(target), [_]) if name == "join" => {
                let mut operands = vec![self.compile(target)?];
                operands.extend(
                    args.iter()
                        .map(|arg| self.compile(arg))
                        .collect::<Option<Vec<_>>>()?,
                );
                Node::Join(operands.into_boxed_slice())
            }
            (Some(target), [_] | [_, _]) if name == "split" => {
                let mut operands = vec![self.compile(target)?];
                operands.extend(self.all(args)?);
                Node::Split(operands.into_boxed_slice())
            }
            (Some(target), []) if name == "lowerAscii" => Node::LowerAscii(self.boxed(target)?),
            (Some(target), []) if name == "distinct" => Node::Distinct(self.boxed(target)?),
            (Some(target), [from, to]) if name == "replace" => Node::Replace(Box::new([
                self.compile(target)?,
                self.compile(from)?,
                self.compile(to)?,
            ])),
            (Some(target), [argument]) => {
                let method = match name {
                    "contains" => Method::Contains,
                    "startsWith" => Method::StartsWith,
                    "endsWith" => Method::EndsWith,
                    "matches" => Method::Matches,
                    _ => return None,
                };
                Node::Method(method, Box::new([self.compile(target)?, self.compile(argument)?]))
            }
            _ => return None,
        })
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

/// Calls `visit` on each operand of `node`, in order.
fn each_operand<'n>(node: &'n Node, visit: &mut dyn FnMut(&'n Node)) {
    match node {
        Node::Literal(_) | Node::Bound(_) | Node::Local(_) => {}
        Node::Select { operand: one, .. }
        | Node::Not(one)
        | Node::Size(one)
        | Node::ToText(one)
        | Node::Cost(one)
        | Node::NotStrictlyFalse(one)
        | Node::LowerAscii(one)
        | Node::CostDistinct(one)
        | Node::Distinct(one)
        | Node::Remembered { node: one, .. } => visit(one),
        Node::Choose(three) | Node::CostReplace(three) | Node::Replace(three) => three.iter().for_each(visit),
        Node::Compare(_, two)
        | Node::In(two)
        | Node::Add(two)
        | Node::Subtract(two)
        | Node::Index(two)
        | Node::Step(two)
        | Node::Method(_, two) => two.iter().for_each(visit),
        Node::List(many)
        | Node::CostJoin(many)
        | Node::Join(many)
        | Node::Split(many)
        | Node::Helper { args: many, .. } => {
            many.iter().for_each(visit);
        }
        Node::Map(entries) => entries.iter().for_each(|(_, value)| visit(value)),
        Node::Loop(comprehension) => {
            let Loop {
                init,
                range,
                condition,
                step,
                result,
            } = comprehension.as_ref();
            [init, range, condition, step, result].into_iter().for_each(visit);
        }
    }
}

/// The outermost comprehension variable that `node` reads, if any.
fn lowest_local(node: &Node) -> Option<usize> {
    if let Node::Local(at) = node {
        return Some(*at);
    }
    let mut lowest = None;
    each_operand(node, &mut |operand| {
        if let Some(at) = lowest_local(operand) {
            lowest = Some(lowest.map_or(at, |lowest: usize| lowest.min(at)));
        }
    });
    lowest
}

/// Writes `node` unambiguously (every text with its length, every node's operands in
/// parentheses), its comprehension variables counted from `depth`: two parts of a rule's
/// expressions written the same way evaluate to the same value on the same subject.
fn describe(node: &Node, depth: usize, out: &mut Vec<u8>) {
    use std::io::Write as _;
    let text = |out: &mut Vec<u8>, text: &str| {
        let _ = write!(out, "{}:{text}", text.len());
    };
    let _ = match node {
        Node::Literal(value) => {
            describe_literal(value.as_ref(), out);
            Ok(())
        }
        Node::Bound(bound) => write!(out, "{bound:?}"),
        Node::Local(at) => write!(out, "local{}", at - depth),
        Node::Select { key, test, .. } => {
            let _ = write!(out, "select{test}");
            text(out, &format!("{key:?}"));
            Ok(())
        }
        Node::Not(_) => write!(out, "not"),
        Node::Choose(_) => write!(out, "choose"),
        Node::Compare(comparison, _) => write!(out, "{comparison:?}"),
        Node::In(_) => write!(out, "in"),
        Node::List(_) => write!(out, "list"),
        Node::Map(entries) => {
            out.extend_from_slice(b"map");
            for (key, _) in entries {
                text(out, &format!("{key:?}"));
            }
            Ok(())
        }
        Node::Add(_) => write!(out, "add"),
        Node::Subtract(_) => write!(out, "subtract"),
        Node::Index(_) => write!(out, "index"),
        Node::Size(_) => write!(out, "size"),
        Node::ToText(_) => write!(out, "string"),
        Node::Cost(_) => write!(out, "cost"),
        Node::Step(_) => write!(out, "step"),
        Node::CostJoin(_) => write!(out, "costjoin"),
        Node::Join(_) => write!(out, "join"),
        Node::CostDistinct(_) => write!(out, "costdistinct"),
        Node::Distinct(_) => write!(out, "distinct"),
        Node::CostReplace(_) => write!(out, "costreplace"),
        Node::Replace(_) => write!(out, "replace"),
        Node::NotStrictlyFalse(_) => write!(out, "notstrictlyfalse"),
        Node::Method(method, _) => write!(out, "{method:?}"),
        Node::Split(_) => write!(out, "split"),
        Node::LowerAscii(_) => write!(out, "lower"),
        Node::Helper { index, .. } => write!(out, "helper{index}"),
        Node::Loop(_) => write!(out, "loop"),
        // Its key stands for it: the same key is the same part.
        Node::Remembered { key, .. } => return drop(write!(out, "remembered{key}")),
    };
    out.push(b'(');
    each_operand(node, &mut |operand| describe(operand, depth, out));
    out.push(b')');
}

/// Writes a literal for [`describe`]: a string, integer, boolean or list of them, else one
/// that matches only itself (its address).
fn describe_literal(value: &dyn Val, out: &mut Vec<u8>) {
    use std::io::Write as _;
    let _ = if let Some(text) = value.downcast_ref::<CelString>() {
        write!(out, "s{}:{}", text.inner().len(), text.inner())
    } else if let Some(number) = value.downcast_ref::<CelInt>() {
        write!(out, "i{}", number.inner())
    } else if let Some(flag) = value.downcast_ref::<CelBool>() {
        write!(out, "b{}", flag.inner())
    } else if let Some(list) = value.downcast_ref::<CelList>() {
        out.extend_from_slice(b"l(");
        for item in list.inner() {
            describe_literal(item.as_ref(), out);
            out.push(b',');
        }
        write!(out, ")")
    } else {
        write!(out, "at{:p}", value as *const dyn Val as *const u8)
    };
}

/// The key of a part written as `written` (see [`describe`]): the same number for the same
/// text, in every rule (keys are only compared within one rule's subject).
fn key_of(written: Vec<u8>) -> u32 {
    static KEYS: LazyLock<Mutex<HashMap<Vec<u8>, u32>>> = LazyLock::new(Mutex::default);
    let mut keys = KEYS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let next = u32::try_from(keys.len()).unwrap_or(u32::MAX);
    *keys.entry(written).or_insert(next)
}

/// The values that one subject's expressions share: a rule's `when`, `assert` and the
/// templates of a failing subject often call the same helper on the same arguments, or run the
/// same loop (ICR-IAM-003's message lists the Managers its assert counted, by the same
/// expression). A part that reads no comprehension variable ([`Node::Remembered`]) has one
/// value per subject: it is evaluated once, and lent to every later reader, who is charged
/// what it cost the first time, so the meter runs exactly as if it had been evaluated again.
///
/// It also keeps what evaluations make (maps, lists, helpers' results), since a remembered
/// value can hold them. The engine makes one per subject; an evaluation without one makes its
/// own.
#[derive(Default)]
pub struct SubjectMemo<'a> {
    /// Values made during the subject's evaluations (made on first use: most make none).
    made: OnceCell<Arena<Box<dyn Val>>>,
    /// The lists that comprehension variables hold, once read ([`Held::Shared`]).
    shared: OnceCell<Arena<Vec<Held<'a>>>>,
    /// Remembered values, where they can be lent from.
    kept: OnceCell<Arena<Held<'a>>>,
    /// Remembered values by key, with what each cost the meter: a few per subject.
    values: RefCell<Vec<(u32, &'a Held<'a>, u64)>>,
}

impl<'a> SubjectMemo<'a> {
    fn recall(&self, key: u32) -> Option<(&'a Held<'a>, u64)> {
        self.values
            .borrow()
            .iter()
            .find(|(kept, ..)| *kept == key)
            .map(|&(_, value, cost)| (value, cost))
    }

    fn keep(&'a self, key: u32, value: Held<'a>, cost: u64) -> Held<'a> {
        let value: &'a Held<'a> = self.kept.get_or_init(Arena::new).alloc(match value {
            // Where it can be lent from, as the lists comprehension variables hold.
            Held::List(items) => Held::Shared(self.shared.get_or_init(Arena::new).alloc(items)),
            value => value,
        });
        self.values.borrow_mut().push((key, value, cost));
        value.lend()
    }
}

/// A value met during an evaluation.
enum Held<'a> {
    Bool(bool),
    Int(i64),
    /// A string made during the evaluation, or `key`.
    Text(Cow<'a, str>),
    /// A value of the account or of the expression, or one a helper returned.
    Place(&'a dyn Val),
    /// A list made during the evaluation (a list literal, what `map` and `filter` keep).
    List(Vec<Held<'a>>),
    /// A list that a comprehension's variable holds (an element of a list of lists), kept
    /// until the evaluation ends so that each read of the variable lends it instead of moving
    /// it (`[policies].all(P, namespaces.all(ns, P.exists(…)))` reads `P` once per namespace).
    Shared(&'a [Held<'a>]),
    /// The accumulator of a comprehension while its step reads it: a second read would see
    /// this, and gives up.
    Moved,
}

/// Whether the local at `at` is a comprehension's variable rather than its accumulator: the
/// compiler pushes the two in that order (see [`Node::Loop`]).
fn is_loop_variable(at: usize) -> bool {
    at.is_multiple_of(2)
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
    fn as_bool(&self) -> Option<bool> {
        match self.scalar()? {
            Scalar::Bool(value) => Some(value),
            _ => None,
        }
    }

    fn scalar(&self) -> Option<Scalar<'_>> {
        Some(match self {
            Held::Bool(value) => Scalar::Bool(*value),
            Held::Int(value) => Scalar::Int(*value),
            Held::Text(text) => Scalar::Text(text.as_ref()),
            Held::Place(value) => {
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
            Held::List(_) | Held::Shared(_) | Held::Moved => return None,
        })
    }

    /// The same value, lent from where it is kept (strings and lists are not copied).
    fn lend(&'a self) -> Held<'a> {
        match self {
            Held::Bool(value) => Held::Bool(*value),
            Held::Int(value) => Held::Int(*value),
            Held::Text(text) => Held::Text(Cow::Borrowed(text.as_ref())),
            Held::Place(value) => Held::Place(*value),
            Held::List(items) => Held::Shared(items),
            Held::Shared(items) => Held::Shared(items),
            Held::Moved => Held::Moved,
        }
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

    /// The elements of a list, one by one (a list of the account is not copied), or `None`
    /// for anything else.
    fn elements(self) -> Option<Elements<'a>> {
        match self {
            Held::List(items) => Some(Elements::Made(items.into_iter())),
            Held::Place(value) => Some(Elements::Lent(value.downcast_ref::<CelList>()?.inner().iter())),
            Held::Shared(items) => Some(Elements::Shared(items.iter())),
            _ => None,
        }
    }

    fn is_list(&self) -> bool {
        match self {
            Held::List(_) | Held::Shared(_) => true,
            Held::Place(value) => value.downcast_ref::<CelList>().is_some(),
            _ => false,
        }
    }

    /// The size the meter charges for (`budget::size_of`).
    fn metered_size(&self) -> u64 {
        match self {
            Held::Bool(_) | Held::Int(_) | Held::Moved => 0,
            Held::Text(text) => text.len() as u64,
            Held::Place(value) => budget::size_of(*value),
            Held::List(items) => items.len() as u64,
            Held::Shared(items) => items.len() as u64,
        }
    }

    /// A copy, as reading a variable makes; a list is moved instead (see [`Held::Moved`]).
    fn take(&mut self) -> Option<Held<'a>> {
        Some(match self {
            Held::Bool(value) => Held::Bool(*value),
            Held::Int(value) => Held::Int(*value),
            Held::Text(text) => Held::Text(text.clone()),
            Held::Place(value) => Held::Place(*value),
            Held::List(_) => std::mem::replace(self, Held::Moved),
            Held::Shared(items) => Held::Shared(items),
            Held::Moved => return None,
        })
    }

    /// The value as `cel` holds it, for a helper's argument or a list.
    fn into_val(self) -> Option<CowVal<'a, 'a>> {
        Some(match self {
            Held::Bool(value) => CowVal::Owned(Box::new(CelBool::from(value))),
            Held::Int(value) => CowVal::Owned(Box::new(CelInt::from(value))),
            Held::Text(text) => CowVal::Owned(Box::new(CelString::from(text))),
            // Values of the account are lent, as `cel` lends them: the trampoline recognises
            // the account's shared sections by address.
            Held::Place(value) => CowVal::Borrowed(value),
            Held::List(items) => CowVal::Owned(Box::new(CelList::from(
                items
                    .into_iter()
                    .map(|item| item.into_val().map(CowVal::into_owned))
                    .collect::<Option<Vec<_>>>()?,
            ))),
            Held::Shared(items) => Held::List(items.iter().map(Held::lend).collect()).into_val()?,
            Held::Moved => return None,
        })
    }

    /// A copy that owns everything it holds, as `cel` copies the values of a map literal.
    fn into_owned_val(self) -> Option<Box<dyn Val>> {
        Some(match self {
            Held::Bool(value) => Box::new(CelBool::from(value)),
            Held::Int(value) => Box::new(CelInt::from(value)),
            Held::Text(text) => Box::new(CelString::from(text.into_owned())),
            Held::Place(value) => super::owned_copy(value)?,
            Held::List(items) => Box::new(CelList::from(
                items
                    .into_iter()
                    .map(Held::into_owned_val)
                    .collect::<Option<Vec<_>>>()?,
            )),
            Held::Shared(items) => Held::List(items.iter().map(Held::lend).collect()).into_owned_val()?,
            Held::Moved => return None,
        })
    }

    fn into_value(self) -> Option<Value> {
        Some(match self {
            Held::Bool(value) => Value::Bool(value),
            Held::Int(value) => Value::Int(value),
            Held::Text(text) => Value::String(std::sync::Arc::new(text.into_owned())),
            Held::Place(value) => Value::try_from(value).ok()?,
            Held::List(items) => Value::List(std::sync::Arc::new(
                items.into_iter().map(Held::into_value).collect::<Option<_>>()?,
            )),
            Held::Shared(items) => Held::List(items.iter().map(Held::lend).collect()).into_value()?,
            Held::Moved => return None,
        })
    }
}

enum Elements<'a> {
    Made(std::vec::IntoIter<Held<'a>>),
    Lent(std::slice::Iter<'a, Box<dyn Val + 'a>>),
    Shared(std::slice::Iter<'a, Held<'a>>),
}

impl<'a> Iterator for Elements<'a> {
    type Item = Held<'a>;

    fn next(&mut self) -> Option<Held<'a>> {
        match self {
            Elements::Made(items) => items.next(),
            Elements::Lent(items) => items.next().map(|item| Held::Place(item.as_ref())),
            Elements::Shared(items) => items.next().map(Held::lend),
        }
    }
}

/// One evaluation: the names it sees, where the values it makes are kept, and the
/// comprehension variables in scope.
struct Evaluation<'a, 'b> {
    bindings: &'b Bindings<'a>,
    memo: &'a SubjectMemo<'a>,
    locals: Vec<Held<'a>>,
}

impl<'a> Evaluation<'a, '_> {
    fn eval(&mut self, node: &'a Node) -> Option<Held<'a>> {
        let bindings = self.bindings;
        Some(match node {
            Node::Literal(value) => Held::Place(value.as_ref()),
            Node::Bound(bound) => match bound {
                Bound::Account => Held::Place(bindings.names.account.0),
                Bound::Item => Held::Place(bindings.names.item.0),
                Bound::Params => Held::Place(bindings.names.params.0),
                Bound::AsOf => Held::Place(bindings.names.as_of.0),
                Bound::Parent => Held::Place(bindings.names.parent?.0),
                Bound::Key => Held::Text(Cow::Borrowed(bindings.names.key?)),
                Bound::Index => Held::Int(bindings.names.index?),
            },
            Node::Local(at) => {
                let local = self.locals.get_mut(*at)?;
                if is_loop_variable(*at)
                    && let Held::List(items) = local
                {
                    let kept = self
                        .memo
                        .shared
                        .get_or_init(Arena::new)
                        .alloc(std::mem::take(items));
                    *local = Held::Shared(kept);
                }
                local.take()?
            }
            Node::Select { operand, key, test } => {
                let Held::Place(value) = self.eval(operand)? else {
                    return None;
                };
                let map = value.downcast_ref::<CelMap>()?.inner();
                if *test {
                    Held::Bool(map.contains_key(key))
                } else {
                    Held::Place(map.get(key)?.as_ref())
                }
            }
            Node::Not(value) => Held::Bool(!self.eval(value)?.as_bool()?),
            Node::NotStrictlyFalse(value) => {
                // `cel` reads anything but `false` (an error too) as true; only a boolean
                // is answered here.
                Held::Bool(self.eval(value)?.as_bool()?)
            }
            Node::Choose(branches) => {
                let [condition, then, otherwise] = branches.as_ref();
                if self.eval(condition)?.as_bool()? {
                    self.eval(then)?
                } else {
                    self.eval(otherwise)?
                }
            }
            Node::Compare(comparison, sides) => {
                let (left, right) = self.pair(sides)?;
                Held::Bool(compare(*comparison, &left.scalar()?, &right.scalar()?)?)
            }
            Node::In(sides) => {
                let (element, container) = self.pair(sides)?;
                let element = element.scalar()?;
                let mut found = false;
                for item in container.elements()? {
                    found |= compare(Comparison::Equal, &element, &item.scalar()?)?;
                }
                Held::Bool(found)
            }
            Node::List(items) => Held::List(items.iter().map(|item| self.eval(item)).collect::<Option<_>>()?),
            Node::Map(entries) => {
                let mut map = std::collections::HashMap::with_capacity(entries.len());
                for (key, value) in entries {
                    map.insert(key.clone(), self.eval(value)?.into_owned_val()?);
                }
                let made: Box<dyn Val> = Box::new(CelMap::from(map));
                Held::Place(&**self.memo.made.get_or_init(Arena::new).alloc(made))
            }
            Node::Add(sides) => match self.pair(sides)? {
                (left, right) if left.is_list() && right.is_list() => {
                    let mut items: Vec<Held<'a>> = match left {
                        // A list made here grows in place: `filter` and `map` add each element
                        // to their accumulator with `+`, and copying it every time made them
                        // quadratic (half a second for 10,000 IAM policies).
                        Held::List(items) => items,
                        left => left.elements()?.collect(),
                    };
                    items.extend(right.elements()?);
                    Held::List(items)
                }
                (left, right) => match (left.scalar()?, right.scalar()?) {
                    (Scalar::Int(left), Scalar::Int(right)) => Held::Int(left.checked_add(right)?),
                    (Scalar::Text(left), Scalar::Text(right)) => {
                        Held::Text(Cow::Owned([left, right].concat()))
                    }
                    _ => return None,
                },
            },
            Node::Subtract(sides) => {
                let (left, right) = self.pair(sides)?;
                Held::Int(left.as_int()?.checked_sub(right.as_int()?)?)
            }
            Node::Index(sides) => {
                let (container, index) = self.pair(sides)?;
                let index = usize::try_from(index.as_int()?).ok()?;
                match container {
                    Held::List(mut items) if index < items.len() => items.swap_remove(index),
                    Held::Shared(items) => items.get(index)?.lend(),
                    Held::Place(value) => {
                        Held::Place(value.downcast_ref::<CelList>()?.inner().get(index)?.as_ref())
                    }
                    // Out of range, or not a list: `cel`'s error.
                    _ => return None,
                }
            }
            Node::Size(value) => {
                let value = self.eval(value)?;
                let size = if let Some(text) = value.as_str() {
                    // CEL counts a string's code points.
                    text.chars().count()
                } else {
                    match value {
                        Held::List(items) => items.len(),
                        Held::Shared(items) => items.len(),
                        Held::Place(value) => match value.downcast_ref::<CelList>() {
                            Some(list) => list.inner().len(),
                            None => value.downcast_ref::<CelMap>()?.inner().len(),
                        },
                        _ => return None,
                    }
                };
                Held::Int(i64::try_from(size).ok()?)
            }
            Node::ToText(value) => {
                let value = self.eval(value)?;
                match value.scalar()? {
                    Scalar::Int(number) => Held::Text(Cow::Owned(number.to_string())),
                    Scalar::Text(_) => value,
                    _ => return None,
                }
            }
            Node::Cost(value) => {
                let value = self.eval(value)?;
                budget::charge(budget::argument_cost(value.metered_size())).ok()?;
                value
            }
            Node::Step(operands) => {
                let (element, value) = self.pair(operands)?;
                budget::charge(budget::step_cost(element.metered_size(), value.metered_size())).ok()?;
                value
            }
            Node::CostJoin(operands) => {
                let mut operands = self.all(operands)?.into_iter();
                let list = operands.next()?;
                let separator = operands.next().map_or(0, |separator| separator.metered_size());
                let (count, text) = match &list {
                    Held::List(items) => (
                        items.len() as u64,
                        items.iter().map(Held::metered_size).sum::<u64>(),
                    ),
                    Held::Shared(items) => (
                        items.len() as u64,
                        items.iter().map(Held::metered_size).sum::<u64>(),
                    ),
                    Held::Place(value) => match value.downcast_ref::<CelList>() {
                        Some(items) => (
                            items.inner().len() as u64,
                            items
                                .inner()
                                .iter()
                                .map(|item| budget::size_of(item.as_ref()))
                                .sum(),
                        ),
                        None => (0, 0),
                    },
                    _ => (0, 0),
                };
                budget::charge(budget::join_cost(count, text, separator)).ok()?;
                list
            }
            Node::Join(operands) => {
                let mut operands = self.all(operands)?.into_iter();
                let items: Vec<Held<'a>> = operands.next()?.elements()?.collect();
                let separator = operands.next();
                let separator = match &separator {
                    Some(separator) => separator.as_str()?,
                    None => "",
                };
                let parts: Vec<&str> = items.iter().map(Held::as_str).collect::<Option<_>>()?;
                Held::Text(Cow::Owned(parts.join(separator)))
            }
            Node::CostDistinct(list) => {
                let list = self.eval(list)?;
                if !list.is_list() {
                    return None;
                }
                budget::charge(budget::distinct_cost(list.metered_size())).ok()?;
                list
            }
            Node::Distinct(list) => {
                let items: Vec<Held<'a>> = self.eval(list)?.elements()?.collect();
                // Strings are equal when `cel` says so exactly when their texts are; other
                // values (numbers compare across types) are left to `cel`.
                let mut seen: HashSet<&str> = HashSet::with_capacity(items.len());
                let first: Vec<bool> = items
                    .iter()
                    .map(|item| item.as_str().map(|text| seen.insert(text)))
                    .collect::<Option<_>>()?;
                Held::List(
                    items
                        .into_iter()
                        .zip(first)
                        .filter_map(|(item, first)| first.then_some(item))
                        .collect(),
                )
            }
            Node::CostReplace(operands) => {
                let [text, from, to] = operands.as_ref();
                let (text, from, to) = (self.eval(text)?, self.eval(from)?, self.eval(to)?);
                let cost =
                    budget::replace_cost(text.metered_size(), from.metered_size(), to.metered_size(), None);
                budget::charge(cost).ok()?;
                text
            }
            Node::Replace(operands) => {
                let [text, from, to] = operands.as_ref();
                let (text, from, to) = (self.eval(text)?, self.eval(from)?, self.eval(to)?);
                Held::Text(Cow::Owned(text.as_str()?.replace(from.as_str()?, to.as_str()?)))
            }
            Node::Split(operands) => {
                let mut operands = self.all(operands)?.into_iter();
                let (target, separator) = (operands.next()?, operands.next()?);
                // No limit splits everywhere, as a negative one does.
                let limit = match operands.next() {
                    Some(limit) => limit.as_int()?,
                    None => -1,
                };
                let (text, separator) = (target.as_str()?, separator.as_str()?);
                let part = |part: &str| Held::Text(Cow::Owned(part.to_owned()));
                // `None`: no limit.
                let most = usize::try_from(limit).ok();
                Held::List(match most {
                    Some(0) => Vec::new(),
                    // Between code points, as `cel` splits on an empty separator, the rest past
                    // the limit in the last part.
                    _ if separator.is_empty() => {
                        let cut = most
                            .and_then(|most| text.char_indices().nth(most - 1))
                            .map_or(text.len(), |(at, _)| at);
                        let (each, rest) = text.split_at(cut);
                        let mut parts: Vec<Held<'a>> = each
                            .char_indices()
                            .map(|(at, c)| part(&each[at..at + c.len_utf8()]))
                            .collect();
                        if !rest.is_empty() {
                            parts.push(part(rest));
                        }
                        parts
                    }
                    Some(most) => text.splitn(most, separator).map(part).collect(),
                    None => text.split(separator).map(part).collect(),
                })
            }
            Node::LowerAscii(target) => {
                Held::Text(Cow::Owned(self.eval(target)?.as_str()?.to_ascii_lowercase()))
            }
            Node::Method(method, operands) => {
                let (target, argument) = self.pair(operands)?;
                let (text, part) = (target.as_str()?, argument.as_str()?);
                Held::Bool(match method {
                    Method::Contains => text.contains(part),
                    Method::StartsWith => text.starts_with(part),
                    Method::EndsWith => text.ends_with(part),
                    Method::Matches => super::super::pattern::compiled(part).ok()?.is_match(text),
                })
            }
            Node::Helper { index, args } => {
                let args: Vec<CowVal<'a, 'a>> = self
                    .all(args)?
                    .into_iter()
                    .map(Held::into_val)
                    .collect::<Option<_>>()?;
                match super::call_helper(*index, &args).ok()? {
                    super::Called::Lent(value) => Held::Place(value),
                    super::Called::Places(places) => {
                        Held::List(places.into_iter().map(Held::Place).collect())
                    }
                    super::Called::Made(value) => {
                        if let Some(number) = value.downcast_ref::<CelInt>() {
                            Held::Int(*number.inner())
                        } else if let Some(flag) = value.downcast_ref::<CelBool>() {
                            Held::Bool(*flag.inner())
                        } else {
                            // Kept until the evaluation ends, so that it can be lent like
                            // a value of the account.
                            let kept: &'a dyn Val = &**self.memo.made.get_or_init(Arena::new).alloc(value);
                            Held::Place(kept)
                        }
                    }
                }
            }
            Node::Loop(comprehension) => self.comprehension(comprehension)?,
            Node::Remembered { key, node } => match self.memo.recall(*key) {
                Some((value, cost)) => {
                    budget::charge(cost).ok()?;
                    value.lend()
                }
                None => {
                    let before = budget::spent();
                    let value = self.eval(node)?;
                    self.memo.keep(*key, value, budget::spent() - before)
                }
            },
        })
    }

    /// A comprehension as `cel` runs one: the accumulator's start, then the range; for each
    /// element the condition (stopping at `false`), then the step, whose value is the next
    /// accumulator; then the result.
    fn comprehension(&mut self, comprehension: &'a Loop) -> Option<Held<'a>> {
        let accumulator = self.eval(&comprehension.init)?;
        let elements = self.eval(&comprehension.range)?.elements()?;
        let variable = self.locals.len();
        self.locals.push(Held::Moved);
        self.locals.push(accumulator);
        let result = (|| {
            for element in elements {
                if !self.eval(&comprehension.condition)?.as_bool()? {
                    break;
                }
                self.locals[variable] = element;
                let next = self.eval(&comprehension.step)?;
                self.locals[variable + 1] = next;
            }
            self.eval(&comprehension.result)
        })();
        self.locals.truncate(variable);
        result
    }

    fn pair(&mut self, nodes: &'a [Node; 2]) -> Option<(Held<'a>, Held<'a>)> {
        let [left, right] = nodes;
        Some((self.eval(left)?, self.eval(right)?))
    }

    fn all(&mut self, nodes: &'a [Node]) -> Option<Vec<Held<'a>>> {
        nodes.iter().map(|node| self.eval(node)).collect()
    }
}

/// `left <comparison> right` for values of one type; `None` (to `cel`) for mixed types, where
/// CEL's rules (`1 == 1.0`, errors for ordering) are `cel`'s to apply.
fn compare(comparison: Comparison, left: &Scalar<'_>, right: &Scalar<'_>) -> Option<bool> {
    if std::mem::discriminant(left) != std::mem::discriminant(right) {
        return None;
    }
    let equal_only = matches!(comparison, Comparison::Equal | Comparison::NotEqual);
    match left {
        // Booleans are not ordered here; timestamps are compared by `cel` for equality.
        Scalar::Bool(_) if !equal_only => return None,
        Scalar::Time(_) if equal_only => return None,
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

    use super::super::{Bindings, Document, Expr, Names, SubjectMemo, Value, budget, compile};
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
            names: Names {
                account: item.root(),
                params: params.root(),
                as_of: as_of.root(),
                item: item.root(),
                parent: None,
                key: Some("k"),
                index: Some(2),
            },
            memo: None,
        })
    }

    /// The expression's result and the meter after it, through `Expr::eval` (native first), and
    /// through `cel` alone, each on a fresh meter of `limit`. The native evaluation runs twice
    /// on one subject memo: the second, from what the first remembered, must give the same
    /// value at the same cost.
    type Outcome = (Result<Value, String>, budget::Snapshot);
    fn both_ways(expr: &Expr, bindings: &Bindings<'_>, limit: u64) -> (Outcome, Outcome) {
        let memo = SubjectMemo::default();
        let bindings = &bindings.remembering(&memo);
        let native = {
            let _meter = budget::meter(limit);
            (expr.eval(bindings), budget::snapshot())
        };
        let again = {
            let _meter = budget::meter(limit);
            (expr.eval(bindings), budget::snapshot())
        };
        assert_eq!(again, native, "`{}` remembered", expr.source());
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
            ("'a' in ['a', 'b'] && 'a' in item.tags", Value::Bool(true)),
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
            (
                "item.tags.exists(t, t == 'b') && !item.tags.all(t, t == 'a')",
                Value::Bool(true),
            ),
            (
                "item.tags.map(t, t + '!').filter(t, t != 'a!').join(', ') + [item.ref, ''].filter(r, r != '').join()",
                Value::String("b!us.icr.io/shop/api:1".to_owned().into()),
            ),
            (
                "item.tags.exists(t, item.tags.exists(u, u + t == 'ab'))",
                Value::Bool(true),
            ),
            ("size(item.tags.filter(t, t in ['a', 'c']))", Value::Int(1)),
            (
                "item.ref.replace('/', ' ').replace('', '.')",
                Value::String(".u.s...i.c.r...i.o. .s.h.o.p. .a.p.i.:.1.".to_owned().into()),
            ),
            (
                "item.ref.split('/')[1] + item.name.split('')[1] + item.tags[1]",
                Value::String("shopéb".to_owned().into()),
            ),
            (
                "(item.name + 'ÉABC').lowerAscii()",
                Value::String("hélloÉabc".to_owned().into()),
            ),
            // A list that a comprehension's variable holds, read once per element of another.
            (
                "[item.tags.filter(t, t != 'x')].all(P, item.tags.all(t, P.exists(p, p == t)))",
                Value::Bool(true),
            ),
            (
                "[item.tags].map(P, size(P + P) + size(P[0]))[0] + [['x', 'y']].map(L, L + L)[0].size()",
                Value::Int(9),
            ),
            (
                "{'a': item.tags, 'b': {'c': item.count, 'd': item.created}}.b.c == 3 && size({'x': item.nested, 'y': [item.ref]}) == 2",
                Value::Bool(true),
            ),
            (
                "(item.tags + ['c'] + item.tags)[4]",
                Value::String("b".to_owned().into()),
            ),
        ];
        with(|bindings| {
            for (source, expected) in cases {
                let expr = compile(source).unwrap();
                assert!(expr.is_native(), "`{source}` is evaluated natively");
                let answered = {
                    let _meter = budget::meter(1_000);
                    let compiled = expr.compiled().expect("compiles");
                    let memo = SubjectMemo::default();
                    compiled
                        .native
                        .as_ref()
                        .expect("native")
                        .eval(&bindings.remembering(&memo))
                };
                assert!(
                    answered.is_some(),
                    "`{source}` is answered natively, not given up"
                );
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
            "item.nested.exists(k, k == 'inner')",
            "item.tags.exists(t, t.missing == 1)",
            "[item.count, 'x'].join(', ')",
            "item.tags[2] == 'a'",
            "item.tags[-1] == 'a'",
            "item.nested['inner'] == 'v'",
            "item.count.split('') == []",
            "{'r': item.ratio}.r < 1",
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
    fn a_part_written_alike_in_two_expressions_is_evaluated_once_per_subject() {
        with(|bindings| {
            let assert =
                compile("size(item.tags.filter(t, t != 'a')) > 0 && age_days(item.created, as_of) > 1")
                    .unwrap();
            let message = compile(
                "string(size(item.tags.filter(t, t != 'a'))) + ' ' + string(age_days(item.created, as_of))",
            )
            .unwrap();
            let other =
                compile("size(item.tags.filter(t, t != 'b')) == 1 && age_days(as_of, as_of) == 0").unwrap();
            let memo = SubjectMemo::default();
            let bindings = &bindings.remembering(&memo);
            let _meter = budget::meter(10_000);
            assert_eq!(assert.eval(bindings), Ok(Value::Bool(true)));
            let kept = memo.values.borrow().len();
            assert_eq!(kept, 2, "the filter and the helper call");
            assert_eq!(
                message.eval(bindings),
                Ok(Value::String("1 30".to_owned().into()))
            );
            assert_eq!(memo.values.borrow().len(), kept, "the message reuses both");
            // Another literal, or other arguments, make another part.
            assert_eq!(other.eval(bindings), Ok(Value::Bool(true)));
            assert_eq!(memo.values.borrow().len(), kept + 2);
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
            // A comprehension's steps and what `map` and `join` build are charged too.
            let expr = compile("item.tags.map(t, t + '!').join(', ') != ''").unwrap();
            assert!(expr.is_native());
            let affordable = |limit| {
                let (native, by_cel) = both_ways(&expr, bindings, limit);
                assert_eq!(native, by_cel, "limit {limit}");
                native.0.is_ok()
            };
            let least = (1..200).find(|&limit| affordable(limit)).expect("affordable");
            assert!(least > 10, "{least}");
        });
    }

    #[test]
    fn doubles_maps_with_keys_not_written_as_strings_and_names_like_bound_ones_are_left_to_cel() {
        for source in [
            "1.5 < 2.0",
            "{1: 'a'}[1] == 'a'",
            "{'a': 1, 'a': 2}.a == 1",
            "item.ref.upperAscii() == 'x'",
            "item.tags.exists(item, item == 'a')",
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

    /// Expressions made up from a small grammar over the test item: strings, integers,
    /// booleans and lists combined every way the native evaluator knows, with some ill-typed
    /// combinations and absent fields among them. Each is evaluated as the engine evaluates it
    /// (native first) and by `cel` alone, on a generous and on a tight budget: the results and
    /// the meters must be equal. In a test build `Expr::eval` also checks each native answer.
    #[test]
    fn generated_expressions_agree_with_cel() {
        let mut generator = Generator {
            state: 0x2545_f491_4f6c_dd1d,
        };
        let (mut native, mut answered) = (0, 0);
        with(|bindings| {
            for _ in 0..3_000 {
                let source = generator.boolean(4);
                let expr = Expr::deferred(&source);
                native += usize::from(expr.is_native());
                for limit in [10_000, 25] {
                    let (by_engine, by_cel) = both_ways(&expr, bindings, limit);
                    assert_eq!(by_engine, by_cel, "`{source}` on a budget of {limit}");
                    answered += usize::from(limit > 25 && by_cel.0.is_ok());
                }
            }
        });
        // The grammar must reach the native evaluator and mostly answer, or this proves little.
        assert!(native > 2_000, "{native} of 3000 expressions compiled natively");
        assert!(answered > 1_000, "{answered} of 3000 expressions answered");
    }

    /// A deterministic xorshift generator of expression text.
    struct Generator {
        state: u64,
    }

    impl Generator {
        fn next(&mut self, below: usize) -> usize {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            (self.state % below as u64) as usize
        }

        fn pick(&mut self, options: &[&str]) -> String {
            options[self.next(options.len())].to_owned()
        }

        fn boolean(&mut self, depth: usize) -> String {
            if depth == 0 {
                return self.pick(&[
                    "item.flag",
                    "has(item.ref)",
                    "has(item.missing)",
                    "true",
                    "false",
                    "has(item.nested.inner)",
                ]);
            }
            let d = depth - 1;
            match self.next(14) {
                0 => format!("{} == {}", self.text(d), self.text(d)),
                1 => format!("{} != {}", self.text(d), self.integer(d)),
                2 => format!("{} < {}", self.integer(d), self.integer(d)),
                3 => format!("{} >= {}", self.text(d), self.text(d)),
                4 => format!("{} in {}", self.text(d.min(1)), self.list(d)),
                5 => format!("!({})", self.boolean(d)),
                6 => format!("({} && {})", self.boolean(d), self.boolean(d)),
                7 => format!("({} || {})", self.boolean(d), self.boolean(d)),
                8 => format!("{}.contains({})", self.text(d), self.text(d)),
                9 => format!("{}.startsWith({})", self.text(d), self.text(d)),
                10 => format!("{}.exists(x, {})", self.list(d), self.about_x(d)),
                11 => format!("{}.all(x, {})", self.list(d), self.about_x(d)),
                12 => format!(
                    "({} ? {} : {})",
                    self.boolean(d),
                    self.boolean(d),
                    self.boolean(d)
                ),
                _ => format!("item.created < as_of == {}", self.boolean(d)),
            }
        }

        fn about_x(&mut self, depth: usize) -> String {
            match self.next(4) {
                0 => format!("x == {}", self.text(depth)),
                1 => format!("size(x) > {}", self.integer(depth)),
                2 => format!("x.endsWith({})", self.text(depth)),
                _ => self.boolean(depth),
            }
        }

        fn text(&mut self, depth: usize) -> String {
            if depth == 0 {
                return self.pick(&[
                    "item.ref",
                    "item.name",
                    "key",
                    "'a'",
                    "''",
                    "'us.'",
                    "'é'",
                    "item.nested.inner",
                    "item.missing",
                    "item.count",
                ]);
            }
            let d = depth - 1;
            match self.next(7) {
                0 => format!("{} + {}", self.text(d), self.text(d)),
                1 => format!("string({})", self.integer(d)),
                2 => format!("{}.join({})", self.list(d), self.text(d)),
                3 => format!("{}.replace({}, {})", self.text(d), self.text(d), self.text(d)),
                4 => format!("({} ? {} : {})", self.boolean(d), self.text(d), self.text(d)),
                _ => self.text(0),
            }
        }

        fn integer(&mut self, depth: usize) -> String {
            if depth == 0 {
                return self.pick(&[
                    "item.count",
                    "index",
                    "0",
                    "1",
                    "item.largest",
                    "item.ratio",
                    "age_days(item.created, as_of)",
                ]);
            }
            let d = depth - 1;
            match self.next(6) {
                0 => format!("size({})", self.text(d)),
                1 => format!("size({})", self.list(d)),
                2 => format!("({} - {})", self.integer(d), self.integer(d)),
                3 => format!("({} + {})", self.integer(d), self.integer(d)),
                _ => self.integer(0),
            }
        }

        fn list(&mut self, depth: usize) -> String {
            if depth == 0 {
                return self.pick(&[
                    "item.tags",
                    "['a', 'b']",
                    "['us.', 'a', '']",
                    "[]",
                    "[item.ref, key]",
                    "[1, 'a']",
                    "item.nested",
                ]);
            }
            let d = depth - 1;
            match self.next(5) {
                0 => format!("{}.filter(x, {})", self.list(d), self.about_x(d)),
                1 => format!("{}.map(x, x + {})", self.list(d), self.text(d)),
                2 => format!("({} + {})", self.list(d), self.list(d)),
                _ => self.list(0),
            }
        }
    }
}
