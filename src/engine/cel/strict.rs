//! regcheck's evaluation rules, made by rewriting each expression's syntax tree once, when it
//! compiles; the `cel` crate then evaluates the rewritten tree as it is.
//!
//! **Strict logic.** Standard CEL lets `||`, `&&`, `exists` and `all` absorb an error when the
//! other side decides the result: `item.missing == 'x' || true` is `true`, and
//! `list.exists(x, x.missing)` is `true` when any element matches. In a compliance gate that is
//! a silent pass, so regcheck evaluates them as most languages do instead: left to right,
//! stopping as soon as the result is known, and an error on the way is the result. `a || b`
//! becomes `a ? true : (b ? true : false)` and `a && b` becomes `a ? (b ? true : false) :
//! false` (the inner conditional also makes a non-boolean `b` an error, as `||` would); the
//! loop step of `exists` and `all` (`@result || p`, `@result && p`) is rewritten the same way,
//! so the first error among the elements visited is the result. Guards keep working:
//! `!has(item.quota) || item.quota.storage_used_mb > 0` never reads `storage_used_mb` when
//! there is no quota.
//!
//! **Metering.** Calls to the functions of [`super::budget`] are added where the work happens:
//! on each comprehension step, around the arguments of operations whose work grows with their
//! input, and before the operations that can build more than they are given.

use cel::common::ast::{CallExpr, ComprehensionExpr, Expr, ListExpr, LiteralValue, operators};
use cel::common::types::CelBool;
use cel::parser::Expression;

use super::budget;

/// Rewrites `expression` for strict, metered evaluation.
pub(super) fn rewrite(expression: Expression) -> Expression {
    let mut rewriter = Rewriter {
        next_id: max_id(&expression) + 1,
        locals: Vec::new(),
    };
    rewriter.expression(expression)
}

/// Operations whose cost does not grow with their arguments (or that regcheck meters
/// elsewhere): their arguments are not charged.
const CONSTANT_COST: &[&str] = &[
    operators::CONDITIONAL,
    operators::LOGICAL_NOT,
    operators::NOT_STRICTLY_FALSE,
    operators::SUBSTRACT,
    operators::MULTIPLY,
    operators::DIVIDE,
    operators::MODULO,
    operators::NEGATE,
    operators::INDEX,
    operators::OPT_INDEX,
    operators::OPT_SELECT,
    "size",
    "int",
    "uint",
    "double",
    "bool",
    "dyn",
    "type",
    "duration",
    "timestamp",
    "getFullYear",
    "getMonth",
    "getDayOfYear",
    "getDayOfMonth",
    "getDate",
    "getDayOfWeek",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
    "hasValue",
    "value",
    "or",
    "orValue",
];

struct Rewriter {
    next_id: u64,
    /// Comprehension variables in scope, innermost last.
    locals: Vec<String>,
}

impl Rewriter {
    fn node(&mut self, expr: Expr) -> Expression {
        self.next_id += 1;
        Expression {
            id: self.next_id,
            expr,
        }
    }

    fn call(&mut self, name: &str, args: Vec<Expression>) -> Expression {
        self.node(Expr::Call(CallExpr {
            func_name: name.to_owned(),
            target: None,
            args,
        }))
    }

    fn boolean(&mut self, value: bool) -> Expression {
        self.node(Expr::Literal(LiteralValue::Boolean(CelBool::from(value))))
    }

    fn conditional(&mut self, condition: Expression, then: Expression, otherwise: Expression) -> Expression {
        self.call(operators::CONDITIONAL, vec![condition, then, otherwise])
    }

    /// `value ? true : false`: `value` itself, or an error when it is not a boolean. A value
    /// that can only be a boolean (a comparison, `!`, `has()`, …) is left as it is.
    fn strict_bool(&mut self, value: Expression) -> Expression {
        if is_boolean(&value) {
            return value;
        }
        let (yes, no) = (self.boolean(true), self.boolean(false));
        self.conditional(value, yes, no)
    }

    /// `left || right` evaluated left to right, errors kept.
    fn or(&mut self, left: Expression, right: Expression) -> Expression {
        let right = self.strict_bool(right);
        let yes = self.boolean(true);
        self.conditional(left, yes, right)
    }

    /// `left && right` evaluated left to right, errors kept.
    fn and(&mut self, left: Expression, right: Expression) -> Expression {
        let right = self.strict_bool(right);
        let no = self.boolean(false);
        self.conditional(left, right, no)
    }

    fn expression(&mut self, expression: Expression) -> Expression {
        let Expression { id, expr } = expression;
        let expr = match expr {
            Expr::Call(call) => return self.call_expression(id, call),
            Expr::Comprehension(comprehension) => return self.comprehension(id, *comprehension),
            Expr::Select(mut select) => {
                *select.operand = self.expression(*select.operand);
                Expr::Select(select)
            }
            Expr::List(list) => Expr::List(ListExpr {
                elements: list
                    .elements
                    .into_iter()
                    .map(|element| self.expression(element))
                    .collect(),
                optional_indices: list.optional_indices,
            }),
            Expr::Map(mut map) => {
                for entry in &mut map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(entry) = &mut entry.expr {
                        entry.key = self.expression(std::mem::take(&mut entry.key));
                        entry.value = self.expression(std::mem::take(&mut entry.value));
                    }
                }
                Expr::Map(map)
            }
            Expr::Struct(mut structure) => {
                for entry in &mut structure.entries {
                    if let cel::common::ast::EntryExpr::StructField(field) = &mut entry.expr {
                        field.value = self.expression(std::mem::take(&mut field.value));
                    }
                }
                Expr::Struct(structure)
            }
            other => other,
        };
        Expression { id, expr }
    }

    fn call_expression(&mut self, id: u64, call: CallExpr) -> Expression {
        let CallExpr {
            func_name,
            target,
            args,
        } = call;
        let mut args: Vec<Expression> = args.into_iter().map(|arg| self.expression(arg)).collect();
        let mut target = target.map(|target| self.expression(*target));
        if target.is_none() && args.len() == 2 {
            let strict = match func_name.as_str() {
                operators::LOGICAL_OR => Some(true),
                operators::LOGICAL_AND => Some(false),
                _ => None,
            };
            if let Some(is_or) = strict {
                let right = args.pop().unwrap_or_default();
                let left = args.pop().unwrap_or_default();
                return if is_or {
                    self.or(left, right)
                } else {
                    self.and(left, right)
                };
            }
        }
        let name = func_name.as_str();
        // A call on a namespace (`lists.range`, `optional.of`) is resolved by cel from the
        // target's spelling: it must stay as it is written.
        let namespaced = target
            .as_ref()
            .is_some_and(|target| is_namespace(target, &self.locals));
        let helper = super::helpers::HELPERS.iter().any(|helper| helper.name == name);
        // `@result + [x]`, the step of `map` and `filter`, is metered by the step itself, and
        // must keep its shape for cel to append in place.
        let appends = name == operators::ADD
            && matches!(args.first().map(|arg| &arg.expr), Some(Expr::Ident(n)) if n.starts_with('@'));
        match (name, target.take()) {
            ("replace", Some(text)) if !namespaced && (2..=3).contains(&args.len()) => {
                let mut measured = vec![text];
                measured.extend(args.iter().cloned());
                target = Some(self.call(budget::COST_REPLACE, measured));
            }
            ("join", Some(list)) if !namespaced && args.len() <= 1 => {
                let mut measured = vec![list];
                measured.extend(args.iter().cloned());
                target = Some(self.call(budget::COST_JOIN, measured));
            }
            ("distinct", Some(list)) if !namespaced && args.is_empty() => {
                target = Some(self.call(budget::COST_DISTINCT, vec![list]));
            }
            ("range", Some(namespace)) if namespaced && args.len() == 1 => {
                target = Some(namespace);
                let count = args.pop().unwrap_or_default();
                args.push(self.call(budget::COST_RANGE, vec![count]));
            }
            (_, original) => {
                target = original;
                let compares = COMPARISONS.contains(&name) && target.is_none() && args.len() == 2;
                // `in` scans its right side: only a bounded list bounds it.
                let bounded = if name == operators::IN {
                    args.last().is_some_and(is_bounded)
                } else {
                    args.iter().any(is_bounded)
                };
                if compares && bounded {
                    // Comparing with a value whose size the policy fixes costs at most that
                    // size (`item.va_status != 'issues'`, `x in ['a', 'b']`), whatever the
                    // other side: nothing to meter. The operations most rules use all day.
                } else if name == operators::IN && args.len() == 2 {
                    // `x in list` scans the list.
                    let container = args.pop().unwrap_or_default();
                    let element = args.pop().unwrap_or_default();
                    args = vec![self.costed(element), self.costed(container)];
                } else if name == operators::ADD && !appends {
                    // In a chain `a + b + c`, each operand is charged as it enters the chain:
                    // the partial sums (`a + b`) need not be charged again.
                    args = args
                        .into_iter()
                        .map(|arg| match &arg.expr {
                            Expr::Call(inner) if inner.func_name == operators::ADD => arg,
                            _ => self.costed(arg),
                        })
                        .collect();
                } else if !(CONSTANT_COST.contains(&name) || helper || appends) {
                    if !namespaced {
                        target = target.map(|target| self.costed(target));
                    }
                    args = args.into_iter().map(|arg| self.costed(arg)).collect();
                }
            }
        }
        Expression {
            id,
            expr: Expr::Call(CallExpr {
                func_name,
                target: target.map(Box::new),
                args,
            }),
        }
    }

    /// `@cost(value)`, unless the value's size is fixed by the policy ([`is_bounded`]).
    fn costed(&mut self, value: Expression) -> Expression {
        if is_bounded(&value) {
            value
        } else {
            self.call(budget::COST, vec![value])
        }
    }

    fn comprehension(&mut self, id: u64, comprehension: ComprehensionExpr) -> Expression {
        let ComprehensionExpr {
            iter_range,
            iter_var,
            iter_var2,
            accu_var,
            accu_init,
            loop_cond,
            loop_step,
            result,
        } = comprehension;
        let iter_range = self.expression(iter_range);
        let accu_init = self.expression(accu_init);
        let pushed = 2 + usize::from(iter_var2.is_some());
        self.locals.push(iter_var.clone());
        self.locals.push(accu_var.clone());
        if let Some(second) = &iter_var2 {
            self.locals.push(second.clone());
        }
        let element = self.node(Expr::Ident(iter_var.clone()));
        let is_accu = |expr: &Expression| matches!(&expr.expr, Expr::Ident(name) if *name == accu_var);
        let loop_step = match loop_step.expr {
            // `exists` and `all`: `@result || p`, `@result && p`.
            Expr::Call(call)
                if call.target.is_none()
                    && call.args.len() == 2
                    && is_accu(&call.args[0])
                    && (call.func_name == operators::LOGICAL_OR
                        || call.func_name == operators::LOGICAL_AND) =>
            {
                let mut args = call.args.into_iter();
                let accu = args.next().unwrap_or_default();
                let predicate = args.next().unwrap_or_default();
                let predicate = self.expression(predicate);
                let predicate = self.call(budget::STEP, vec![element, predicate]);
                if call.func_name == operators::LOGICAL_OR {
                    self.or(accu, predicate)
                } else {
                    self.and(accu, predicate)
                }
            }
            // `filter`, `exists_one` and `map` with a filter: `p ? … : @result`.
            Expr::Call(call)
                if call.target.is_none()
                    && call.func_name == operators::CONDITIONAL
                    && call.args.len() == 3
                    && is_accu(&call.args[2]) =>
            {
                let mut args = call.args.into_iter().map(|arg| self.expression(arg));
                let guard = args.next().unwrap_or_default();
                let then = args.next().unwrap_or_default();
                let otherwise = args.next().unwrap_or_default();
                let guard = self.call(budget::STEP, vec![element, guard]);
                let then = self.charge_appended(then);
                self.conditional(guard, then, otherwise)
            }
            // `map`: `@result + [f(x)]`; the new element is charged with the step.
            Expr::Call(call)
                if call.target.is_none()
                    && call.func_name == operators::ADD
                    && call.args.len() == 2
                    && is_accu(&call.args[0])
                    && matches!(call.args[1].expr, Expr::List(_)) =>
            {
                let step = Expression {
                    id: loop_step.id,
                    expr: Expr::Call(call),
                };
                let step = self.expression(step);
                self.step_appended(step, element)
            }
            other => {
                let step = self.expression(Expression {
                    id: loop_step.id,
                    expr: other,
                });
                self.call(budget::STEP, vec![element, step])
            }
        };
        let loop_cond = self.expression(loop_cond);
        let result = self.expression(result);
        for _ in 0..pushed {
            self.locals.pop();
        }
        Expression {
            id,
            expr: Expr::Comprehension(Box::new(ComprehensionExpr {
                iter_range,
                iter_var,
                iter_var2,
                accu_var,
                accu_init,
                loop_cond,
                loop_step,
                result,
            })),
        }
    }

    /// `@result + [@step(x, f(x))]`: one step, and the size of what it appends.
    fn step_appended(&mut self, step: Expression, element: Expression) -> Expression {
        let Expression { id, expr } = step;
        let Expr::Call(mut call) = expr else {
            return Expression { id, expr };
        };
        if let Some(Expression {
            expr: Expr::List(list),
            ..
        }) = call.args.get_mut(1)
        {
            let mut element = Some(element);
            for item in &mut list.elements {
                let value = std::mem::take(item);
                *item = match element.take() {
                    Some(element) => self.call(budget::STEP, vec![element, value]),
                    None => self.costed(value),
                };
            }
        }
        Expression {
            id,
            expr: Expr::Call(call),
        }
    }

    /// In `p ? @result + [f(x)] : @result`, the size of what is appended (the step is
    /// charged on `p`).
    fn charge_appended(&mut self, then: Expression) -> Expression {
        let Expression { id, expr } = then;
        let Expr::Call(mut call) = expr else {
            return Expression { id, expr };
        };
        if call.func_name == operators::ADD
            && let Some(Expression {
                expr: Expr::List(list),
                ..
            }) = call.args.get_mut(1)
        {
            for item in &mut list.elements {
                let value = std::mem::take(item);
                *item = self.costed(value);
            }
        }
        Expression {
            id,
            expr: Expr::Call(call),
        }
    }
}

/// Whether a call's target names a function namespace rather than a value (`lists.range`): a
/// plain name (or names joined by dots) whose first name is neither a bound name nor one of the
/// comprehension variables in `locals`. `cel` resolves such a call by its spelling.
pub(super) fn is_namespace(target: &Expression, locals: &[String]) -> bool {
    let mut expr = &target.expr;
    loop {
        match expr {
            Expr::Select(select) if !select.test => expr = &select.operand.expr,
            Expr::Ident(name) => {
                return !(super::BOUND_NAMES.contains(&name.as_str())
                    || locals.iter().any(|local| local == name));
            }
            _ => return false,
        }
    }
}

/// Comparisons, whose work is at most the size of the smaller side (a list scanned by `in`
/// being the larger).
const COMPARISONS: &[&str] = &[
    operators::EQUALS,
    operators::NOT_EQUALS,
    operators::LESS,
    operators::LESS_EQUALS,
    operators::GREATER,
    operators::GREATER_EQUALS,
    operators::IN,
];

/// Functions whose result is a number, a boolean, a timestamp or a duration: a value of a
/// fixed size.
const SCALAR_RESULTS: &[&str] = &[
    operators::SUBSTRACT,
    operators::MULTIPLY,
    operators::DIVIDE,
    operators::MODULO,
    operators::NEGATE,
    operators::LOGICAL_NOT,
    operators::EQUALS,
    operators::NOT_EQUALS,
    operators::LESS,
    operators::LESS_EQUALS,
    operators::GREATER,
    operators::GREATER_EQUALS,
    operators::IN,
    "size",
    "int",
    "uint",
    "double",
    "bool",
    "duration",
    "timestamp",
    "getFullYear",
    "getMonth",
    "getDayOfYear",
    "getDayOfMonth",
    "getDate",
    "getDayOfWeek",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
    "age_days",
];

/// A value whose size the policy fixes: a constant, a parameter (`params.…`, set in the policy
/// file or `regcheck.toml`), or the result of a function that returns a scalar.
fn is_bounded(expression: &Expression) -> bool {
    if is_constant(expression) {
        return true;
    }
    if let Expr::Call(call) = &expression.expr {
        // `string(age_days(…))`: the text of a scalar is short too.
        let text_of_scalar = call.func_name == "string" && call.args.iter().all(is_bounded);
        if SCALAR_RESULTS.contains(&call.func_name.as_str()) || text_of_scalar {
            return true;
        }
    }
    let mut expr = &expression.expr;
    loop {
        match expr {
            Expr::Select(select) if !select.test => expr = &select.operand.expr,
            Expr::Ident(name) => return name == "params",
            _ => return false,
        }
    }
}

/// An expression whose value can only be a boolean (or an error): a comparison, `!`, `has()`,
/// a boolean literal, or a conditional between such expressions (what `||` and `&&` become).
fn is_boolean(expression: &Expression) -> bool {
    match &expression.expr {
        Expr::Literal(LiteralValue::Boolean(_)) => true,
        Expr::Select(select) => select.test,
        Expr::Call(call) => match call.func_name.as_str() {
            operators::CONDITIONAL => call.args.iter().skip(1).all(is_boolean),
            operators::LOGICAL_NOT
            | operators::EQUALS
            | operators::NOT_EQUALS
            | operators::LESS
            | operators::LESS_EQUALS
            | operators::GREATER
            | operators::GREATER_EQUALS
            | operators::IN => true,
            _ => false,
        },
        _ => false,
    }
}

/// A literal, or a list or map literal of literals: its size is fixed by the text.
fn is_constant(expression: &Expression) -> bool {
    match &expression.expr {
        Expr::Literal(_) => true,
        Expr::List(list) => list.elements.iter().all(is_constant),
        Expr::Map(map) => map.entries.iter().all(|entry| match &entry.expr {
            cel::common::ast::EntryExpr::MapEntry(entry) => {
                is_constant(&entry.key) && is_constant(&entry.value)
            }
            cel::common::ast::EntryExpr::StructField(field) => is_constant(&field.value),
        }),
        _ => false,
    }
}

/// The largest node id, so that added nodes get ids of their own.
fn max_id(expression: &Expression) -> u64 {
    let mut max = expression.id;
    let mut visit = |child: &Expression| max = max.max(max_id(child));
    match &expression.expr {
        Expr::Call(call) => {
            call.target.iter().for_each(|target| visit(target));
            call.args.iter().for_each(&mut visit);
        }
        Expr::Comprehension(c) => {
            for child in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                visit(child);
            }
        }
        Expr::Select(select) => visit(&select.operand),
        Expr::List(list) => list.elements.iter().for_each(&mut visit),
        Expr::Map(map) => {
            for entry in &map.entries {
                if let cel::common::ast::EntryExpr::MapEntry(entry) = &entry.expr {
                    visit(&entry.key);
                    visit(&entry.value);
                }
            }
        }
        Expr::Struct(structure) => {
            for entry in &structure.entries {
                if let cel::common::ast::EntryExpr::StructField(field) = &entry.expr {
                    visit(&field.value);
                }
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
    max
}
