//! The load-time check of the names and field paths an expression reads, against the account
//! format ([`Shape`]): `item.retention.images_per_repoo` or `itme.ref` is a load error with a
//! suggestion, before any account is read, rather than a rule that can only fail at run time
//! (or, in standard CEL, quietly pass inside `||`).
//!
//! The check walks the parsed syntax tree (macros expanded) with the shape of every name in
//! scope: `item` and `parent` from the rule's `for_each`, `account` the whole file, and each
//! comprehension variable (`exists(r, …)`, `all`, `map`, `filter`, `exists_one`) the element
//! shape of what it iterates; the result of `map` and `filter` is a list of what they keep. A
//! table with arbitrary keys (`labels`), a parameter, and a helper's result are not known
//! before a run, and what is read from them is not checked.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::ast::{EntryExpr, Expr, LiteralValue, SourceInfo, operators};
use cel::parser::Expression;

use crate::account::shape::{Record, Shape};

/// What the rule's `for_each` binds, for the check.
#[derive(Debug, Clone)]
pub struct Scope {
    pub item: Shape,
    /// `None` when the subjects have no table above them (`for_each = "$"`).
    pub parent: Option<Shape>,
    pub key: bool,
    pub index: bool,
}

/// A name or field the account format does not have, at a byte offset of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub offset: usize,
    pub length: usize,
    pub message: String,
    pub label: String,
    pub help: String,
}

/// CEL's type names, which an expression may use as values (`type(x) == string`).
const TYPE_NAMES: &[&str] = &[
    "bool",
    "bytes",
    "double",
    "duration",
    "dyn",
    "int",
    "list",
    "map",
    "null_type",
    "string",
    "timestamp",
    "type",
    "uint",
];

pub(super) fn check(
    expression: &Expression,
    positions: &SourceInfo,
    source: &str,
    scope: &Scope,
) -> Vec<FieldProblem> {
    let mut checker = Checker {
        source,
        positions,
        scope,
        locals: Vec::new(),
        shapes: HashMap::new(),
        problems: Vec::new(),
    };
    checker.walk(expression);
    checker.problems.sort_by_key(|problem| problem.offset);
    checker.problems.dedup();
    checker.problems
}

struct Checker<'a> {
    source: &'a str,
    positions: &'a SourceInfo,
    scope: &'a Scope,
    /// Comprehension variables in scope, innermost last.
    locals: Vec<(String, Shape)>,
    /// The shape found for each node, by id.
    shapes: HashMap<u64, Shape>,
    problems: Vec<FieldProblem>,
}

impl Checker<'_> {
    fn walk(&mut self, expression: &Expression) -> Shape {
        let shape = self.shape_of(expression);
        self.shapes.insert(expression.id, shape.clone());
        shape
    }

    fn shape_of(&mut self, expression: &Expression) -> Shape {
        match &expression.expr {
            Expr::Ident(name) => self.name(expression, name),
            Expr::Select(select) => {
                let operand = self.walk(&select.operand);
                let shape = self.field(expression, &select.operand, &operand, &select.field, select.test);
                if select.test { Shape::Bool } else { shape }
            }
            Expr::Call(call) => self.call(expression, call),
            Expr::Comprehension(comprehension) => self.comprehension(expression, comprehension),
            Expr::List(list) => {
                let elements: Vec<Shape> = list.elements.iter().map(|element| self.walk(element)).collect();
                Shape::List(Arc::new(common(elements)))
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(entry) => {
                            self.walk(&entry.key);
                            self.walk(&entry.value);
                        }
                        EntryExpr::StructField(field) => {
                            self.walk(&field.value);
                        }
                    }
                }
                Shape::Any
            }
            Expr::Struct(structure) => {
                for entry in &structure.entries {
                    if let EntryExpr::StructField(field) = &entry.expr {
                        self.walk(&field.value);
                    }
                }
                Shape::Any
            }
            Expr::Literal(literal) => match literal {
                LiteralValue::Boolean(_) => Shape::Bool,
                LiteralValue::Int(_) | LiteralValue::UInt(_) => Shape::Int,
                LiteralValue::Double(_) => Shape::Float,
                LiteralValue::String(_) => Shape::Str,
                LiteralValue::Bytes(_) | LiteralValue::Null => Shape::Any,
            },
            Expr::Unspecified => Shape::Any,
        }
    }

    /// Byte offset where a node was written.
    fn offset(&self, expression: &Expression) -> usize {
        self.positions
            .offset_for(expression.id)
            .map_or(0, |(start, _)| start as usize)
            .min(self.source.len())
    }

    /// The first and last byte offsets of the nodes of a subtree.
    fn extent(&self, expression: &Expression) -> (usize, usize) {
        let mut extent = self
            .positions
            .offset_for(expression.id)
            .map_or((usize::MAX, 0), |(start, stop)| (start as usize, stop as usize));
        let mut widen = |child: &Expression| {
            let (start, stop) = self.extent(child);
            extent = (extent.0.min(start), extent.1.max(stop));
        };
        match &expression.expr {
            Expr::Select(select) => widen(&select.operand),
            Expr::Call(call) => {
                call.target.iter().for_each(|target| widen(target));
                call.args.iter().for_each(&mut widen);
            }
            Expr::List(list) => list.elements.iter().for_each(&mut widen),
            Expr::Comprehension(comprehension) => widen(&comprehension.iter_range),
            _ => {}
        }
        // A field name is not a node of its own: it follows the select's `.`.
        if let Expr::Select(select) = &expression.expr
            && !select.test
        {
            let at = self.field_offset(expression, &select.operand, &select.field, false);
            extent.1 = extent.1.max(at + select.field.len().saturating_sub(1));
        }
        extent
    }

    /// The expression's text for a subtree (`item.retention`), for messages: its nodes'
    /// extent, with the brackets it opened closed.
    fn text(&self, expression: &Expression) -> String {
        let (start, stop) = self.extent(expression);
        let Some(mut text) = self.source.get(start..) else {
            return String::new();
        };
        let mut depth = 0i32;
        let mut end = 0;
        for (at, c) in text.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                break;
            }
            end = at + c.len_utf8();
            if start + at >= stop && depth == 0 {
                break;
            }
        }
        text = &text[..end];
        text.trim().to_owned()
    }

    fn problem(&mut self, offset: usize, length: usize, message: String, label: &str, help: String) {
        self.problems.push(FieldProblem {
            offset,
            length: length.max(1),
            message,
            label: label.to_owned(),
            help,
        });
    }

    fn name(&mut self, expression: &Expression, name: &str) -> Shape {
        if let Some((_, shape)) = self.locals.iter().rev().find(|(local, _)| local == name) {
            return shape.clone();
        }
        let offset = self.offset(expression);
        let unbound = |what: &str| format!("`{name}` is not bound in this rule: {what}");
        match name {
            "item" => self.scope.item.clone(),
            "account" => Shape::account().clone(),
            "params" => Shape::Any,
            "as_of" => Shape::Time,
            "parent" => match &self.scope.parent {
                Some(parent) => parent.clone(),
                None => {
                    self.problem(
                        offset,
                        name.len(),
                        unbound("its subjects have no table above them"),
                        "no parent here",
                        "`parent` is the table that holds each subject (the image of an env entry); this rule's for_each selects subjects that have none".to_owned(),
                    );
                    Shape::Any
                }
            },
            "key" if self.scope.key => Shape::Str,
            "key" => {
                self.problem(
                    offset,
                    name.len(),
                    unbound("its subjects are not the entries of a table"),
                    "no key here",
                    "`key` is the name of each entry when for_each ends with `.*` over a table (`$.images[*].labels.*`)".to_owned(),
                );
                Shape::Any
            }
            "index" if self.scope.index => Shape::Int,
            "index" => {
                self.problem(
                    offset,
                    name.len(),
                    unbound("its subjects are not the elements of a list"),
                    "no index here",
                    "`index` is the position of each subject when for_each ends with `[*]` over a list"
                        .to_owned(),
                );
                Shape::Any
            }
            _ if TYPE_NAMES.contains(&name) => Shape::Any,
            _ => {
                let mut known: Vec<&str> = vec!["account", "item", "params", "as_of"];
                if self.scope.parent.is_some() {
                    known.push("parent");
                }
                if self.scope.key {
                    known.push("key");
                }
                if self.scope.index {
                    known.push("index");
                }
                known.extend(
                    self.locals
                        .iter()
                        .map(|(local, _)| local.as_str())
                        .filter(|local| !local.starts_with('@')),
                );
                let help = match crate::suggest::did_you_mean(name, known.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("the names here are: {}", known.join(", ")),
                };
                self.problem(
                    offset,
                    name.len(),
                    format!("unknown name `{name}`"),
                    "not a variable of this rule",
                    help,
                );
                Shape::Any
            }
        }
    }

    /// Where a select's field is written: after the `.` the select was parsed at (for
    /// `has(a.b)`, after the operand).
    fn field_offset(&self, select: &Expression, operand: &Expression, field: &str, test: bool) -> usize {
        let from = if test {
            self.extent(operand).1
        } else {
            self.offset(select)
        };
        self.source
            .get(from..)
            .and_then(|rest| rest.find(field))
            .map_or(from, |at| from + at)
    }

    /// The shape of `field` read from a value of shape `operand`; a problem when the account
    /// format says there is no such field.
    fn field(
        &mut self,
        select: &Expression,
        operand_node: &Expression,
        operand: &Shape,
        field: &str,
        test: bool,
    ) -> Shape {
        match operand {
            Shape::Any => Shape::Any,
            Shape::Map(values) => values.as_ref().clone(),
            Shape::Record(record) => match record.fields.get(field) {
                Some(shape) => shape.clone(),
                None => {
                    let at = self.field_offset(select, operand_node, field, test);
                    self.unknown_field(at, operand_node, record, field);
                    Shape::Any
                }
            },
            other => {
                let at = self.field_offset(select, operand_node, field, test);
                let help = if matches!(other, Shape::List(_)) {
                    "reach the elements of a list with `exists`, `all`, `map`, `filter` or an index"
                        .to_owned()
                } else {
                    "`regcheck schema` describes the account file".to_owned()
                };
                self.problem(
                    at,
                    field.len(),
                    format!(
                        "`{}` is {}: it has no field `{field}`",
                        self.text(operand_node),
                        other.describe()
                    ),
                    "not a table",
                    help,
                );
                Shape::Any
            }
        }
    }

    fn unknown_field(&mut self, at: usize, operand: &Expression, record: &Record, field: &str) {
        let known = record.fields.keys().map(String::as_str);
        let help = match crate::suggest::did_you_mean(field, known.clone()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("its fields are: {}", known.collect::<Vec<_>>().join(", ")),
        };
        self.problem(
            at,
            field.len(),
            format!("unknown field `{field}` in `{}`", self.text(operand)),
            "not in the account file format",
            help,
        );
    }

    fn call(&mut self, expression: &Expression, call: &cel::common::ast::CallExpr) -> Shape {
        let name = call.func_name.as_str();
        match (name, call.target.as_deref(), call.args.as_slice()) {
            (operators::INDEX, None, [operand, index]) => {
                let shape = self.walk(operand);
                self.walk(index);
                match (&shape, &index.expr) {
                    (Shape::List(element), _) => element.as_ref().clone(),
                    (Shape::Map(values), _) => values.as_ref().clone(),
                    (Shape::Record(record), Expr::Literal(LiteralValue::String(field))) => {
                        let field = field.inner();
                        match record.fields.get(field) {
                            Some(shape) => shape.clone(),
                            None => {
                                let at = self.offset(index) + 1;
                                self.unknown_field(at, operand, record, field);
                                Shape::Any
                            }
                        }
                    }
                    _ => Shape::Any,
                }
            }
            (operators::OPT_SELECT, None, [operand, field]) => {
                let shape = self.walk(operand);
                if let (Shape::Record(record), Expr::Literal(LiteralValue::String(text))) =
                    (&shape, &field.expr)
                    && !record.fields.contains_key(text.inner())
                {
                    let at = self.field_offset(expression, operand, text.inner(), false);
                    self.unknown_field(at, operand, record, text.inner());
                }
                Shape::Any
            }
            (operators::CONDITIONAL, None, [condition, then, otherwise]) => {
                self.walk(condition);
                let then = self.walk(then);
                let otherwise = self.walk(otherwise);
                if then == otherwise { then } else { Shape::Any }
            }
            (_, Some(target), args) => {
                // `lists.range(n)`, `optional.of(x)`: a function named through its namespace.
                let qualified = match &target.expr {
                    Expr::Ident(root)
                        if !self.locals.iter().any(|(local, _)| local == root)
                            && !super::BOUND_NAMES.contains(&root.as_str()) =>
                    {
                        super::function_through(root, name)
                    }
                    _ => None,
                };
                let target = if qualified.is_some() {
                    Shape::Any
                } else {
                    self.walk(target)
                };
                for arg in args {
                    self.walk(arg);
                }
                match (qualified.as_deref(), name) {
                    (Some("lists.range"), _) => Shape::List(Arc::new(Shape::Int)),
                    (None, "distinct" | "sort" | "reverse" | "slice") => target,
                    _ => Shape::Any,
                }
            }
            (_, None, args) => {
                for arg in args {
                    self.walk(arg);
                }
                Shape::Any
            }
        }
    }

    fn comprehension(
        &mut self,
        expression: &Expression,
        comprehension: &cel::common::ast::ComprehensionExpr,
    ) -> Shape {
        let range = self.walk(&comprehension.iter_range);
        let (first, second) = match &range {
            Shape::List(element) => (Shape::Int, element.as_ref().clone()),
            Shape::Map(values) => (Shape::Str, values.as_ref().clone()),
            Shape::Record(_) => (Shape::Str, Shape::Any),
            Shape::Any => (Shape::Any, Shape::Any),
            other => {
                // The macro's name is written just before the `(` the node was parsed at.
                let at = self.offset(expression);
                let before = self.source.get(..at).unwrap_or_default();
                let start = before
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |dot| dot + 1);
                let macro_name = &before[start..];
                self.problem(
                    start,
                    macro_name.len(),
                    format!(
                        "`{macro_name}` iterates over a list or table, and `{}` is {}",
                        self.text(&comprehension.iter_range),
                        other.describe()
                    ),
                    "not a list or table",
                    "`regcheck schema` describes the account file".to_owned(),
                );
                (Shape::Any, Shape::Any)
            }
        };
        let pushed = match &comprehension.iter_var2 {
            // `all(i, v, …)`: index (or key) and value.
            Some(value) => {
                self.locals.push((comprehension.iter_var.clone(), first));
                self.locals.push((value.clone(), second));
                2
            }
            // One variable: a list's elements, a table's keys.
            None => {
                let shape = if matches!(range, Shape::List(_)) {
                    second
                } else {
                    first
                };
                self.locals.push((comprehension.iter_var.clone(), shape));
                1
            }
        };
        self.walk(&comprehension.accu_init);
        self.locals.push((comprehension.accu_var.clone(), Shape::Any));
        self.walk(&comprehension.loop_cond);
        self.walk(&comprehension.loop_step);
        self.walk(&comprehension.result);
        // `map` and `filter` build a list of what their step appends.
        let appended =
            appended_element(comprehension).and_then(|element| self.shapes.get(&element.id).cloned());
        for _ in 0..=pushed {
            self.locals.pop();
        }
        match appended {
            Some(element) => Shape::List(Arc::new(element)),
            None => Shape::Any,
        }
    }
}

/// The element `map` or `filter` appends on each step: `@result + [e]`, or
/// `p ? @result + [e] : @result`, with `@result` as the comprehension's result.
fn appended_element(comprehension: &cel::common::ast::ComprehensionExpr) -> Option<&Expression> {
    let accu = comprehension.accu_var.as_str();
    let is_accu = |expression: &Expression| matches!(&expression.expr, Expr::Ident(name) if name == accu);
    if !is_accu(&comprehension.result) {
        return None;
    }
    let mut step = &comprehension.loop_step;
    if let Expr::Call(call) = &step.expr
        && call.func_name == operators::CONDITIONAL
        && let [_, then, otherwise] = call.args.as_slice()
        && is_accu(otherwise)
    {
        step = then;
    }
    match &step.expr {
        Expr::Call(call) if call.func_name == operators::ADD => match call.args.as_slice() {
            [left, right] if is_accu(left) => match &right.expr {
                Expr::List(list) if list.elements.len() == 1 => list.elements.first(),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// The shape all of `shapes` share, or `Any`.
fn common(shapes: Vec<Shape>) -> Shape {
    let mut shapes = shapes.into_iter();
    let Some(first) = shapes.next() else {
        return Shape::Any;
    };
    if shapes.all(|shape| shape == first) {
        first
    } else {
        Shape::Any
    }
}
