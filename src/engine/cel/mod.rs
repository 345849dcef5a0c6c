//! The one module that talks to the `cel` crate (pinned to an exact version in Cargo.toml).
//!
//! Its API changes between minor versions, so everything else in regcheck sees only this
//! module's types: [`Document`] and [`Node`] (the account as CEL values, navigable by key and
//! index), [`Expr`] (a compiled expression), [`Bindings`] (the names an expression sees) and
//! [`Data`] (plain values for helpers and parameters).
//!
//! regcheck evaluates CEL more strictly than the standard, so that a rule fails closed:
//! - `fields`: when a policy loads, every name and field path an expression reads is checked
//!   against the account format;
//! - `strict`: each expression's syntax tree is rewritten once so that `||`, `&&`, `exists`
//!   and `all` never absorb an error, and so that evaluation is metered;
//! - [`budget`]: the cost meter, per rule and subject, that turns a runaway expression into a
//!   rule error.
//!
//! The rewritten tree is evaluated by `native`, regcheck's own evaluator for the common
//! shapes of expression, and otherwise (or wherever it is unsure) by `cel`'s own interpreter
//! (`Value::resolve`); both give the same answers and charge the same costs, which test builds
//! check on every evaluation.
//!
//! Performance: the account is converted to CEL values once per audit (`convert`, straight from
//! the model); items and the account are then handed to every evaluation by reference through a
//! variable resolver, never copied. Helpers get string arguments lent, not copied, and a helper
//! can hand back a place in the account itself ([`helpers::Run::Account`]).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use cel::common::ast::SourceInfo;
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelTimestamp, DYN_TYPE,
};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::parser::Expression;
use cel::{Context, Env, ExecutionError, Value};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::data::Data;
use super::helpers;

pub mod budget;
mod convert;
mod fields;
mod native;
mod strict;

pub use fields::{FieldProblem, Scope};
pub use native::SubjectMemo;

/// The newtype name that `cel::to_value` turns into a CEL timestamp. Private to the `cel`
/// crate, which is why the version is pinned and a unit test below guards it.
pub const TIMESTAMP_NEWTYPE: &str = "$__cel_private_Timestamp";

/// A tree of CEL values, converted once.
pub struct Document {
    root: Box<dyn Val + 'static>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Document")
    }
}

impl Document {
    /// Converts any serializable value; [`TIMESTAMP_NEWTYPE`] newtypes become timestamps.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, String> {
        let root = convert::to_val(value).map_err(|error| error.to_string())?;
        Ok(Self { root })
    }

    /// Converts a list, its elements on every core: the account's images are most of it.
    pub fn from_list<T: Serialize + Sync>(items: &[T]) -> Result<Self, String> {
        let root = convert::list_to_val(items).map_err(|error| error.to_string())?;
        Ok(Self { root })
    }

    /// A table of documents (the account's sections, each converted on its own).
    pub fn from_sections(sections: Vec<(&str, Document)>) -> Self {
        let map: std::collections::HashMap<CelMapKey<'static>, Box<dyn Val>> = sections
            .into_iter()
            .map(|(name, document)| (CelMapKey::from(name.to_owned()), document.root))
            .collect();
        Self {
            root: Box::new(CelMap::from(map)),
        }
    }

    pub fn from_data(data: &Data) -> Self {
        Self {
            root: data_to_val(data.clone()),
        }
    }

    pub fn root(&self) -> Node<'_> {
        Node(self.root.as_ref())
    }
}

/// A map key made once (a path's member name), so looking it up costs no allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldKey(CelMapKey<'static>);

impl FieldKey {
    pub fn new(name: &str) -> Self {
        Self(CelMapKey::from(name.to_owned()))
    }
}

/// A borrowed place in a [`Document`].
#[derive(Clone, Copy)]
pub struct Node<'a>(&'a (dyn Val + 'static));

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node({:?})", self.to_data())
    }
}

impl<'a> Node<'a> {
    fn map(&self) -> Option<&'a CelMap<'static>> {
        self.0.downcast_ref::<CelMap<'static>>()
    }

    pub fn is_map(&self) -> bool {
        self.map().is_some()
    }

    fn list(&self) -> Option<&'a CelList<'static>> {
        self.0.downcast_ref::<CelList<'static>>()
    }

    /// The entry `name` of a map, looked up borrowed (no key is made).
    pub fn get(&self, name: &str) -> Option<Node<'a>> {
        match self.map()?.as_indexer()?.get(&CelString::from(name)).ok()? {
            CowVal::Borrowed(value) => Some(Node(value)),
            CowVal::Owned(_) => None,
        }
    }

    /// [`get`](Self::get) with a key made beforehand: no error is made for a missing entry
    /// either, which matters on a path walked for every image.
    pub fn field(&self, key: &FieldKey) -> Option<Node<'a>> {
        self.map()?.inner().get(&key.0).map(|value| Node(value.as_ref()))
    }

    pub fn index(&self, index: usize) -> Option<Node<'a>> {
        self.list()?.inner().get(index).map(|value| Node(value.as_ref()))
    }

    /// The number of elements, if this is a list.
    pub fn list_len(&self) -> Option<usize> {
        self.list().map(|list| list.inner().len())
    }

    /// The elements of a list, in order.
    pub fn elements(self) -> Option<impl Iterator<Item = Node<'a>> + use<'a>> {
        Some(self.list()?.inner().iter().map(|value| Node(value.as_ref())))
    }

    /// The string-keyed entries of a map, sorted by key so iteration is deterministic.
    pub fn entries(&self) -> Option<Vec<(&'a str, Node<'a>)>> {
        let map = self.map()?;
        let mut entries: Vec<(&'a str, Node<'a>)> = map
            .inner()
            .iter()
            .filter_map(|(key, value)| {
                let key = key.inner().downcast_ref::<CelString>()?.inner();
                Some((key, Node(value.as_ref())))
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        Some(entries)
    }

    /// This node with its borrow extended to `'static`, for the account index.
    ///
    /// # Safety
    ///
    /// The returned node must not be used after the document it points into is dropped.
    pub unsafe fn detach(self) -> Node<'static> {
        let pointer: *const (dyn Val + 'static) = self.0;
        // SAFETY: the caller promises the document outlives every use of the node.
        Node(unsafe { &*pointer })
    }

    /// Identity of the value in its document, for the index's shared copies.
    pub fn address(&self) -> usize {
        node_address(self.0)
    }

    pub fn as_str(&self) -> Option<&'a str> {
        self.0.downcast_ref::<CelString>().map(|s| s.inner())
    }

    /// A plain copy of this value (deep; meant for small values).
    pub fn to_data(&self) -> Data {
        val_to_data(self.0).unwrap_or(Data::Null)
    }
}

fn node_address(val: &dyn Val) -> usize {
    (val as *const dyn Val).cast::<()>() as usize
}

/// A helper's argument: converted for this call, a copy shared for the whole evaluation, or a
/// string borrowed from the call (copied only if a helper asks for it as [`Data`]).
#[derive(Debug)]
pub enum Arg<'a> {
    Owned(Data),
    Shared(std::sync::Arc<Data>),
    Text {
        text: &'a str,
        copy: std::sync::OnceLock<Data>,
    },
}

impl Arg<'_> {
    /// The argument as text, without a copy, if it is a string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Arg::Text { text, .. } => Some(text),
            other => other.as_str(),
        }
    }
}

impl std::ops::Deref for Arg<'_> {
    type Target = Data;
    fn deref(&self) -> &Data {
        match self {
            Arg::Owned(data) => data,
            Arg::Shared(data) => data,
            Arg::Text { text, copy, .. } => copy.get_or_init(|| Data::Str((*text).to_owned())),
        }
    }
}

/// The values an expression sees: the bound names, with the subject's [`SubjectMemo`] (what its
/// expressions share), if any.
pub struct Bindings<'a> {
    pub names: Names<'a>,
    pub memo: Option<&'a SubjectMemo<'a>>,
}

impl<'a> Bindings<'a> {
    /// The same names, with `memo` for what the expressions evaluated with them share.
    pub fn remembering<'m>(&self, memo: &'m SubjectMemo<'m>) -> Bindings<'m>
    where
        'a: 'm,
    {
        Bindings {
            names: self.names,
            memo: Some(memo),
        }
    }
}

/// The bound names. `account`, `params` and `as_of` are set per audit and rule; `item`, `key`,
/// `index` and `parent` per subject. `cel` resolves them from here: its resolvers must be
/// `Sync`, which the memo is not.
#[derive(Clone, Copy)]
pub struct Names<'a> {
    pub account: Node<'a>,
    pub params: Node<'a>,
    pub as_of: Node<'a>,
    pub item: Node<'a>,
    pub parent: Option<Node<'a>>,
    pub key: Option<&'a str>,
    pub index: Option<i64>,
}

impl VariableResolver for Names<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        // `item.ref` reaches here whole before cel tries `item` and selects `ref` itself:
        // answering it here saves a second look-up. A missing field answers nothing, so that
        // cel goes on to `item` and fails on the field as usual.
        if let Some((name, fields)) = variable.split_once('.') {
            let mut node = self.node(name)?;
            for field in fields.split('.') {
                node = node.get(field)?;
            }
            return Some(CowVal::Borrowed(node.0));
        }
        let node = match variable {
            "account" => self.account,
            "item" => self.item,
            "params" => self.params,
            "as_of" => self.as_of,
            "parent" => self.parent?,
            "key" => return self.key.map(|key| CowVal::owned(CelString::from(key))),
            "index" => {
                let value: Box<dyn Val> = Value::Int(self.index?).try_into().ok()?;
                return Some(CowVal::Owned(value));
            }
            _ => return None,
        };
        Some(CowVal::Borrowed(node.0))
    }
}

impl<'a> Names<'a> {
    /// The bound names that are nodes of a document.
    fn node(&self, name: &str) -> Option<Node<'a>> {
        match name {
            "account" => Some(self.account),
            "item" => Some(self.item),
            "params" => Some(self.params),
            "as_of" => Some(self.as_of),
            "parent" => self.parent,
            _ => None,
        }
    }
}

/// A compile error: message and 0-based byte offset into the expression, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    pub offset: Option<usize>,
}

/// The names every expression may read (`parent`, `key` and `index` only where the rule's
/// `for_each` binds them).
pub const BOUND_NAMES: &[&str] = &["account", "item", "params", "as_of", "parent", "key", "index"];

/// The namespaces of CEL's standard extensions, whose functions are called by qualified name
/// (`lists.range`, `strings.quote`, `math.abs`); regcheck's `cel` declares some of them. A call
/// through one of these that is not declared is an unknown function (`strings.quote2`,
/// `math.abs`), where any other unbound root is an unknown name (`iten.startsWith`).
pub const FUNCTION_NAMESPACES: &[&str] = &["base64", "lists", "math", "optional", "sets", "strings"];

/// A CEL expression: its source text and, once compiled, its syntax trees.
///
/// An expression a user wrote is compiled when its policy loads ([`compile`]), so that its errors
/// are reported before any account is read. An expression that ships with regcheck (a built-in
/// policy, checked by the test suite) is compiled when a rule first evaluates it
/// ([`Expr::deferred`]), with the `cel` crate's fast parser: a run pays nothing for the rules that
/// do not run or find no subject, and little for those that do. Either way the tree evaluated is
/// the strict, metered rewrite (`strict`): a built-in is held to the same rules as a user's
/// expression.
pub struct Expr {
    source: String,
    compiled: OnceLock<Result<Compiled, CompileError>>,
}

/// An expression's trees: as written (for load-time checks), and rewritten for strict, metered
/// evaluation (`strict`).
struct Compiled {
    /// The tree as written and where each of its nodes is in the source, for load-time checks.
    /// Only [`compile`] keeps it: a deferred expression is never checked at load time (the
    /// built-ins are checked by the test suite, through [`compile`]), so its tree goes to the
    /// rewrite instead of being copied for it.
    written: Option<Box<(Expression, SourceInfo)>>,
    /// Every name the expression reads (bound names and locals), for [`Expr::reads`].
    names: Box<[String]>,
    evaluated: Expression,
    /// `evaluated` for the native evaluator, when it handles every node of it.
    native: Option<native::Native>,
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Expr({:?})", self.source)
    }
}

impl Expr {
    /// An expression compiled on first use with the fast parser. For text that a test proves
    /// the fast parser reads as the reference parser does: the built-in policies
    /// (`fast_parser_reads_every_builtin_expression_as_the_reference_parser_does`).
    pub fn deferred(source: &str) -> Self {
        Self {
            source: source.to_owned(),
            compiled: OnceLock::new(),
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The syntax trees, compiling them now if the expression was deferred.
    fn compiled(&self) -> Result<&Compiled, &CompileError> {
        self.compiled
            .get_or_init(|| {
                build(&self.source, |source| {
                    parse_fast(source).map(|parsed| (parsed, None))
                })
            })
            .as_ref()
    }

    /// Whether the trees are built yet (a deferred expression not evaluated yet: no).
    #[cfg(test)]
    fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }

    /// The tree as written and its positions: kept by [`compile`] only.
    fn written(&self) -> Option<&(Expression, SourceInfo)> {
        self.compiled().ok()?.written.as_deref()
    }

    /// Functions this expression calls that the engine does not declare.
    pub fn unknown_functions(&self) -> Vec<String> {
        let Some((parsed, _)) = self.written() else {
            return Vec::new();
        };
        let mut called = std::collections::BTreeSet::new();
        called_functions(parsed, &mut called);
        called
            .into_iter()
            .filter(|name| is_user_visible_name(name) && !is_declared_function(name))
            .collect()
    }

    /// The names and fields this expression reads that the account format does not have, as
    /// the rule's `for_each` binds them (`fields`). For an expression compiled by [`compile`]:
    /// a deferred one has no positions to point at (and the built-ins are checked by the test
    /// suite, through [`compile`]).
    pub fn check_fields(&self, scope: &Scope) -> Vec<FieldProblem> {
        match self.written() {
            Some((parsed, positions)) => fields::check(parsed, positions, &self.source, scope),
            None => Vec::new(),
        }
    }

    /// Whether the expression reads the bound name `name` (or a local of that name). An
    /// expression that does not compile is taken to read everything.
    pub fn reads(&self, name: &str) -> bool {
        self.compiled()
            .map_or(true, |compiled| compiled.names.iter().any(|read| read == name))
    }

    pub fn eval_bool<'a>(&'a self, bindings: &Bindings<'a>) -> Result<bool, String> {
        match self.eval(bindings)? {
            Value::Bool(result) => Ok(result),
            other => Err(format!("expected a bool result, got {}", type_name(&other))),
        }
    }

    /// The value rendered for a message or subject: strings as they are, others in CEL syntax.
    pub fn eval_text<'a>(&'a self, bindings: &Bindings<'a>) -> Result<String, String> {
        Ok(render(&self.eval(bindings)?))
    }

    /// The words of a fix command's hole: each item of a list (so that a hole can add optional
    /// arguments, or none), else the one value; each rendered as [`Self::eval_text`] renders.
    pub fn eval_words<'a>(&'a self, bindings: &Bindings<'a>) -> Result<Vec<String>, String> {
        Ok(match self.eval(bindings)? {
            Value::List(items) => items.iter().map(render).collect(),
            other => vec![render(&other)],
        })
    }

    /// Evaluates on the meter running on this thread (the engine starts one per subject), or
    /// on one of [`budget::DEFAULT_BUDGET`] units for this evaluation alone.
    fn eval<'a>(&'a self, bindings: &Bindings<'a>) -> Result<Value, String> {
        // A deferred expression that does not compile fails its rule closed, like any error.
        let compiled = self
            .compiled()
            .map_err(|error| format!("the expression does not compile: {}", error.message))?;
        let _alone = (!budget::metering()).then(|| budget::meter(budget::DEFAULT_BUDGET));
        if let Some(native) = &compiled.native {
            #[cfg(test)]
            let before = budget::snapshot();
            if let Some(value) = native.eval(bindings) {
                #[cfg(test)]
                self.check_native(compiled, bindings, before, &value);
                return Ok(value);
            }
        }
        Self::eval_with_cel(compiled, bindings)
    }

    fn eval_with_cel(compiled: &Compiled, bindings: &Bindings<'_>) -> Result<Value, String> {
        let mut context = THREAD_ENVIRONMENT.with(|env| Context::with_env(Arc::clone(env)));
        context.set_variable_resolver(&bindings.names);
        let result = Value::resolve(&compiled.evaluated, &context);
        // Once the budget is passed the evaluation has failed, whatever it returned.
        if let Some(limit) = budget::exhausted() {
            return Err(budget::exhausted_message(limit));
        }
        result.map_err(|error| describe_error(&error))
    }

    /// In test builds every answer of the native evaluator is checked against `cel`'s, value
    /// and meter both: the whole test suite (every built-in policy's own tests among it) is
    /// the native evaluator's differential test.
    #[cfg(test)]
    fn check_native(
        &self,
        compiled: &Compiled,
        bindings: &Bindings<'_>,
        before: budget::Snapshot,
        value: &Value,
    ) {
        let native_spent = budget::snapshot();
        budget::restore(before);
        let by_cel = Self::eval_with_cel(compiled, bindings);
        assert_eq!(
            by_cel.as_ref(),
            Ok(value),
            "native and cel differ on `{}`",
            self.source
        );
        assert_eq!(
            budget::snapshot(),
            native_spent,
            "native and cel spend differently on `{}`",
            self.source
        );
    }

    /// Whether the native evaluator handles this expression (`native`).
    #[cfg(test)]
    fn is_native(&self) -> bool {
        self.compiled().is_ok_and(|compiled| compiled.native.is_some())
    }
}

/// The longest expression (or template hole) regcheck compiles, in bytes. The `cel` crate's
/// parser, and its evaluator, recurse once per level of nesting, and `1 + 1 + …` nests as deep
/// as it is long: a bound on the length keeps the parser within its stack. The longest
/// built-in expression is about 2 KB.
pub const MAX_EXPRESSION_BYTES: usize = 8 * 1024;

/// How deep an expression's syntax tree may nest, so that evaluating it stays well within the
/// evaluating thread's stack. The built-in expressions nest at most about 25 levels deep.
pub const MAX_EXPRESSION_DEPTH: usize = 100;

/// Compiles an expression now, against regcheck's environment (standard library plus helpers),
/// with the `cel` crate's reference parser, whose error messages and positions users see.
pub fn compile(source: &str) -> Result<Expr, CompileError> {
    let compiled = build(source, |source| {
        environment()
            .parser()
            .parse_with_source_info(source)
            .map(|(parsed, positions)| (parsed, Some(positions)))
            .map_err(|errors| compile_error(source, &errors))
    })?;
    Ok(Expr {
        source: source.to_owned(),
        compiled: OnceLock::from(Ok(compiled)),
    })
}

/// Parses with `parse` within the length and depth limits, and rewrites the tree for strict,
/// metered evaluation: one path for every expression, compiled at load or on first use. The
/// tree as written is kept when `parse` gives its positions (the reference parser does, for
/// load-time checks to point at; the fast one records none).
fn build(
    source: &str,
    parse: impl FnOnce(&str) -> Result<(Expression, Option<SourceInfo>), CompileError>,
) -> Result<Compiled, CompileError> {
    if source.len() > MAX_EXPRESSION_BYTES {
        return Err(CompileError {
            message: format!(
                "the expression is {} bytes long, more than the {MAX_EXPRESSION_BYTES} regcheck compiles: split it (a `when`, a message with several `{{…}}` parts)",
                source.len()
            ),
            offset: None,
        });
    }
    let (parsed, positions) = parse(source)?;
    if depth(&parsed) > MAX_EXPRESSION_DEPTH {
        return Err(CompileError {
            message: format!(
                "the expression nests more than {MAX_EXPRESSION_DEPTH} levels deep: split it, or use `in`, `exists` or a helper instead of a long chain of operators"
            ),
            offset: None,
        });
    }
    let names = read_names(&parsed);
    let (evaluated, written) = match positions {
        Some(positions) => (
            strict::rewrite(parsed.clone()),
            Some(Box::new((parsed, positions))),
        ),
        None => (strict::rewrite(parsed), None),
    };
    Ok(Compiled {
        native: native::Native::compile(&evaluated),
        evaluated,
        written,
        names,
    })
}

fn compile_error(source: &str, errors: &cel::ParseErrors) -> CompileError {
    let first = errors.errors.first();
    let message = first.map_or_else(|| errors.to_string(), |error| error.msg.clone());
    let offset = first.map(|error| offset_of(source, error.pos.0 as usize, error.pos.1 as usize));
    CompileError { message, offset }
}

/// Parses with the `cel` crate's Pratt parser: some fifty times faster than its ANTLR parser
/// (which [`compile`] uses), and reading every built-in expression the same (a test compares
/// their trees). It expands the standard macros, which are all the built-ins use.
fn parse_fast(source: &str) -> Result<Expression, CompileError> {
    cel::parser::PrattParser::default()
        .parse(source)
        .map_err(|errors| compile_error(source, &errors))
}

/// How deep a syntax tree nests (a tree too deep for the stack is what this guards against).
fn depth(expression: &Expression) -> usize {
    let mut deepest = 0;
    walk(expression, |_, level| deepest = deepest.max(level));
    deepest
}

/// The names an expression reads (bound names and locals), sorted, each once: what `cel`'s
/// `references()` calls its variables, without its two hash sets.
fn read_names(expression: &Expression) -> Box<[String]> {
    let mut names: Vec<&str> = Vec::new();
    walk(expression, |node, _| {
        if let cel::common::ast::Expr::Ident(name) = &node.expr
            && !name.starts_with('@')
        {
            names.push(name);
        }
    });
    names.sort_unstable();
    names.dedup();
    names.into_iter().map(str::to_owned).collect()
}

/// Calls `visit` on every node of a syntax tree with its level (the root is 1), without
/// recursion.
fn walk<'a>(expression: &'a Expression, mut visit: impl FnMut(&'a Expression, usize)) {
    use cel::common::ast::{EntryExpr, Expr as Node};
    let mut pending: Vec<(&'a Expression, usize)> = vec![(expression, 1)];
    while let Some((node, level)) = pending.pop() {
        visit(node, level);
        let mut push = |child: &'a Expression| pending.push((child, level + 1));
        match &node.expr {
            Node::Call(call) => {
                call.target.iter().for_each(|target| push(target));
                call.args.iter().for_each(&mut push);
            }
            Node::Comprehension(c) => {
                for child in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                    push(child);
                }
            }
            Node::Select(select) => push(&select.operand),
            Node::List(list) => list.elements.iter().for_each(&mut push),
            Node::Map(map) => {
                for entry in &map.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(entry) => {
                            push(&entry.key);
                            push(&entry.value);
                        }
                        EntryExpr::StructField(field) => push(&field.value),
                    }
                }
            }
            Node::Struct(structure) => {
                for entry in &structure.entries {
                    if let EntryExpr::StructField(field) = &entry.expr {
                        push(&field.value);
                    }
                }
            }
            Node::Ident(_) | Node::Literal(_) | Node::Unspecified => {}
        }
    }
}

/// Byte offset of a 1-based line and 0-based column inside `source`.
fn offset_of(source: &str, line: usize, column: usize) -> usize {
    let line_start: usize = source
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &source[line_start.min(source.len())..];
    line_start + rest.char_indices().nth(column).map_or(rest.len(), |(i, _)| i)
}

thread_local! {
    /// Each evaluating thread's own copy of the environment: every evaluation clones the `Arc`
    /// it runs in, and a shared one made the rules on different cores fight over its count.
    static THREAD_ENVIRONMENT: Arc<Env> = Arc::new(build_environment());
}

fn environment() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(build_environment()))
}

/// The standard library, cel-go's strings and lists extensions, and regcheck's helpers.
fn build_environment() -> Env {
    let mut env = Env::stdlib();
    // cel-go's strings and lists extensions (`join`, `lowerAscii`, `split`, `distinct`, …):
    // policy authors expect them from Kubernetes admission policies.
    env.add_extension(cel::extensions::strings)
        .expect("the strings extension registers once");
    env.add_extension(cel::extensions::lists)
        .expect("the lists extension registers once");
    // `matches` as the standard library declares it, with each pattern compiled once per process
    // (the `cel` crate's own compiles it on every call; its `regex` feature is off).
    cel::add_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>, id = "matches")
        .expect("`matches` registers once");
    cel::add_member_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>)
        .expect("`matches` registers once");
    for index in 0..helpers::HELPERS.len() {
        register(&mut env, index).expect("helper names are unique and not standard functions");
    }
    budget::register(&mut env).expect("the metering functions register once");
    env
}

/// CEL's `matches`: whether `pattern` (RE2 syntax, as the `regex` crate reads it) matches
/// anywhere in `text`. Errors read as the `cel` crate's own.
fn matches(text: &CelString<'_>, pattern: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    match super::pattern::compiled(pattern.inner()) {
        Ok(regex) => Ok(CelBool::from(regex.is_match(text.inner()))),
        Err(error) => Err(ExecutionError::FunctionError {
            function: "matches".to_owned(),
            message: format!("'{}' not a valid regex:\n{error}", pattern.inner()),
        }),
    }
}

/// Registers one helper as a global function of its arity with dynamic argument types.
fn register(env: &mut Env, index: usize) -> Result<(), cel::DeclarationError> {
    let helper = &helpers::HELPERS[index];
    let function = *TRAMPOLINES
        .get(index)
        .expect("TRAMPOLINES has a slot for every helper (raise its size when adding helpers)");
    env.add_overload(
        helper.name,
        helper.name,
        (0..helper.arity).map(|_| DYN_TYPE).collect(),
        function,
    )
}

/// cel takes plain `fn` pointers, which cannot capture which helper they call, so each helper
/// slot gets its own monomorphised trampoline.
fn trampoline<'b, 'v, const I: usize>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    Ok(match call_helper(I, &args)? {
        Called::Lent(value) => CowVal::Borrowed(value),
        Called::Made(value) => CowVal::Owned(value),
        Called::Places(places) => CowVal::Owned(Box::new(CelList::from(
            places
                .into_iter()
                .map(|place| place.clone_as_boxed())
                .collect::<Vec<_>>(),
        ))),
    })
}

/// What a helper returned: a place in the account (or a shared constant), or a value made for
/// the call.
pub(super) enum Called {
    Lent(&'static (dyn Val + 'static)),
    Made(Box<dyn Val>),
    /// A list of places in the account: the native evaluator lends each; `cel` gets a copy.
    Places(Vec<&'static (dyn Val + 'static)>),
}

/// Calls helper `index`, charging the meter for it (see `budget`): the trampolines' body, and
/// the native evaluator's way to a helper.
pub(super) fn call_helper(index: usize, args: &[CowVal<'_, '_>]) -> Result<Called, ExecutionError> {
    let helper = &helpers::HELPERS[index];
    // A helper costs 1, plus the sizes of its arguments and of its result (see `budget`).
    let sizes: u64 = args.iter().map(|arg| budget::size_of(arg.as_ref())).sum();
    budget::charge(1 + sizes)?;
    let args: Vec<Arg> = args
        .iter()
        .map(|arg| {
            // Most arguments are strings (an env entry, a ref): lend them, copy nothing.
            if let Some(text) = arg.downcast_ref::<CelString>() {
                let text = text.inner();
                return Ok(Arg::Text {
                    text,
                    copy: std::sync::OnceLock::new(),
                });
            }
            // A part of the account that the index keeps a copy of: a large section passed
            // whole (`account.iam`, instead of converting 10k policies on every call), or a
            // policy or its roles (passed one at a time, for every automation entry).
            if let CowVal::Borrowed(val) = arg
                && (val.downcast_ref::<CelMap>().is_some() || val.downcast_ref::<CelList>().is_some())
                && let Some(shared) = super::index::with_current(|index| index.shared(node_address(*val)))
            {
                return Ok(Arg::Shared(shared));
            }
            val_to_data(arg.as_ref()).map(Arg::Owned)
        })
        .collect::<Result<_, _>>()?;
    let failed = |message| ExecutionError::function_error(helper.name, message);
    match helper.run {
        helpers::Run::Value(run) => match run(&args).map_err(failed)? {
            // Most scans find nothing: hand out one empty list instead of making one.
            Data::List(items) if items.is_empty() => Ok(Called::Lent(&*EMPTY_LIST)),
            result => {
                let result = data_to_val(result);
                budget::charge(budget::size_of(result.as_ref()))?;
                Ok(Called::Made(result))
            }
        },
        helpers::Run::Account(run) => Ok(Called::Lent(run(&args).map_err(failed)?.0)),
        helpers::Run::List(run) => match run(&args).map_err(failed)? {
            // Charged as the list would be (its length), without copying what it lists.
            super::index::Listed::Places(places) if !places.is_empty() => {
                budget::charge(places.len() as u64)?;
                Ok(Called::Places(places.into_iter().map(|place| place.0).collect()))
            }
            super::index::Listed::Places(_) => Ok(Called::Lent(&*EMPTY_LIST)),
            super::index::Listed::Made(items) if items.is_empty() => Ok(Called::Lent(&*EMPTY_LIST)),
            super::index::Listed::Made(items) => {
                let result = data_to_val(Data::List(items));
                budget::charge(budget::size_of(result.as_ref()))?;
                Ok(Called::Made(result))
            }
        },
    }
}

static EMPTY_LIST: std::sync::LazyLock<CelList<'static>> =
    std::sync::LazyLock::new(|| CelList::from(Vec::new()));

/// A helper's result as a CEL value, built directly (no intermediate `Value`).
fn data_to_val(data: Data) -> Box<dyn Val> {
    match data {
        Data::Null => Box::new(CelNull),
        Data::Bool(flag) => Box::new(CelBool::from(flag)),
        Data::Int(number) => Box::new(CelInt::from(number)),
        Data::Float(number) => Box::new(CelDouble::from(number)),
        Data::Str(text) => Box::new(CelString::from(text)),
        Data::Time(time) => Box::new(CelTimestamp::from(time.fixed_offset())),
        Data::List(items) => Box::new(CelList::from(
            items.into_iter().map(data_to_val).collect::<Vec<_>>(),
        )),
        Data::Map(map) => Box::new(CelMap::from(
            map.into_iter()
                .map(|(key, value)| (CelMapKey::from(key), data_to_val(value)))
                .collect::<std::collections::HashMap<_, _>>(),
        )),
    }
}

macro_rules! trampolines {
    ($($i:literal),*) => { &[$(trampoline::<$i>),*] };
}

const TRAMPOLINES: &[cel::common::functions::Function] = trampolines!(
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
    29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
);

/// The functions an expression calls, by the names they are declared under: a call through a
/// namespace (`lists.range(3)`) by its qualified name.
fn called_functions(expression: &Expression, out: &mut std::collections::BTreeSet<String>) {
    use cel::common::ast::Expr as Node;
    walk(expression, |node, _| {
        if let Node::Call(call) = &node.expr {
            let namespace = match call.target.as_deref().map(|target| &target.expr) {
                Some(Node::Ident(root)) if !BOUND_NAMES.contains(&root.as_str()) => {
                    function_through(root, &call.func_name)
                }
                _ => None,
            };
            out.insert(namespace.unwrap_or_else(|| call.func_name.clone()));
        }
    });
}

/// The qualified name of `root.name(…)` when it calls a function through a namespace: one of
/// [`FUNCTION_NAMESPACES`] (so an undeclared one is reported as an unknown function by that
/// name, and the namespace is no unknown name), or any other qualified name `cel` declares.
/// `None` when `root` is an unbound value the method is called on: an unknown name, which the
/// field check reports.
fn function_through(root: &str, name: &str) -> Option<String> {
    let qualified = format!("{root}.{name}");
    (FUNCTION_NAMESPACES.contains(&root) || is_declared_function(&qualified)).then_some(qualified)
}

fn is_user_visible_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// A function is declared when calling it, globally or (for a name without a namespace) as a
/// method, does not fail with "undeclared reference" (the `cel` crate has no public lookup).
/// A qualified name is not probed as a method: `null.nosuch.frob()` fails on the field
/// `nosuch` before it looks for a function, and so would pass for declared.
fn is_declared_function(name: &str) -> bool {
    let env = environment();
    let method = (!name.contains('.')).then(|| format!("null.{name}()"));
    std::iter::once(format!("{name}()")).chain(method).any(|probe| {
        let Ok(program) = env.compile(&probe) else {
            return false;
        };
        let context = Context::with_env(Arc::clone(env));
        !matches!(
            program.execute(&context),
            Err(ExecutionError::UndeclaredReference(_))
        )
    })
}

fn describe_error(error: &ExecutionError) -> String {
    match error {
        ExecutionError::NoSuchKey(key) => {
            format!("no such key: `{key}` (the field is absent from the account)")
        }
        ExecutionError::UndeclaredReference(name) => format!("undeclared reference to `{name}`"),
        other => other.to_string(),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Function(..) => "function",
        Value::Int(_) => "int",
        Value::UInt(_) => "uint",
        Value::Float(_) => "double",
        Value::String(_) => "string",
        Value::Bytes(_) => "bytes",
        Value::Bool(_) => "bool",
        Value::Duration(_) => "duration",
        Value::Timestamp(_) => "timestamp",
        Value::Null => "null",
        _ => "value",
    }
}

fn render(value: &Value) -> String {
    match value {
        Value::String(text) => text.to_string(),
        other => value_to_data(other).to_string(),
    }
}

/// A plain copy of a CEL value, read straight from it: what [`value_to_data`] makes of
/// `Value::try_from(val)`, without building that `Value` first. Helpers get maps this way (an
/// IAM policy, for each namespace it is tested against), so the copy is made once, not twice.
fn val_to_data(val: &dyn Val) -> Result<Data, ExecutionError> {
    Ok(if let Some(text) = val.downcast_ref::<CelString>() {
        Data::Str(text.inner().to_owned())
    } else if let Some(number) = val.downcast_ref::<CelInt>() {
        Data::Int(*number.inner())
    } else if let Some(flag) = val.downcast_ref::<CelBool>() {
        Data::Bool(*flag.inner())
    } else if let Some(list) = val.downcast_ref::<CelList>() {
        Data::List(
            list.inner()
                .iter()
                .map(|item| val_to_data(item.as_ref()))
                .collect::<Result<_, _>>()?,
        )
    } else if let Some(map) = val.downcast_ref::<CelMap>() {
        Data::Map(
            map.inner()
                .iter()
                .map(|(key, value)| Ok((map_key_text(key), val_to_data(value.as_ref())?)))
                .collect::<Result<BTreeMap<_, _>, ExecutionError>>()?,
        )
    } else if let Some(time) = val.downcast_ref::<CelTimestamp>() {
        Data::Time(time.inner().with_timezone(&Utc))
    } else {
        // The rarer kinds (null, unsigned, double, duration, …) as `Value` converts them.
        value_to_data(&Value::try_from(val)?)
    })
}

/// A deep copy that owns everything it holds, of the kinds of value an account, a parameter
/// or a helper's result is made of (strings, integers, booleans, timestamps, lists and maps);
/// `None` for any other kind.
pub(super) fn owned_copy(val: &dyn Val) -> Option<Box<dyn Val>> {
    Some(if let Some(text) = val.downcast_ref::<CelString>() {
        Box::new(CelString::from(text.inner().to_owned()))
    } else if let Some(number) = val.downcast_ref::<CelInt>() {
        Box::new(CelInt::from(*number.inner()))
    } else if let Some(flag) = val.downcast_ref::<CelBool>() {
        Box::new(CelBool::from(*flag.inner()))
    } else if let Some(time) = val.downcast_ref::<CelTimestamp>() {
        Box::new(CelTimestamp::from(*time.inner()))
    } else if let Some(list) = val.downcast_ref::<CelList>() {
        Box::new(CelList::from(
            list.inner()
                .iter()
                .map(|item| owned_copy(item.as_ref()))
                .collect::<Option<Vec<_>>>()?,
        ))
    } else if let Some(map) = val.downcast_ref::<CelMap>() {
        Box::new(CelMap::from(
            map.inner()
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        CelMapKey::String(text) => CelMapKey::from(text.inner().to_owned()),
                        CelMapKey::Int(number) => CelMapKey::from(*number.inner()),
                        CelMapKey::UInt(number) => CelMapKey::from(*number.inner()),
                        CelMapKey::Bool(flag) => CelMapKey::from(*flag.inner()),
                    };
                    Some((key, owned_copy(value.as_ref())?))
                })
                .collect::<Option<std::collections::HashMap<_, _>>>()?,
        ))
    } else {
        return None;
    })
}

fn map_key_text(key: &CelMapKey<'_>) -> String {
    match key {
        CelMapKey::String(text) => text.inner().to_owned(),
        CelMapKey::Int(number) => number.inner().to_string(),
        CelMapKey::UInt(number) => number.inner().to_string(),
        CelMapKey::Bool(flag) => flag.inner().to_string(),
    }
}

fn value_to_data(value: &Value) -> Data {
    match value {
        Value::Null => Data::Null,
        Value::Bool(flag) => Data::Bool(*flag),
        Value::Int(number) => Data::Int(*number),
        Value::UInt(number) => i64::try_from(*number).map_or(Data::Float(*number as f64), Data::Int),
        Value::Float(number) => Data::Float(*number),
        Value::String(text) => Data::Str(text.to_string()),
        Value::Timestamp(time) => Data::Time(time.with_timezone(&Utc)),
        Value::Duration(duration) => Data::Str(format!("{}s", duration.num_seconds())),
        Value::List(items) => Data::List(items.iter().map(value_to_data).collect()),
        Value::Map(map) => Data::Map(
            map.map
                .iter()
                .map(|(key, value)| (key_text(key), value_to_data(value)))
                .collect::<BTreeMap<_, _>>(),
        ),
        _ => Data::Null,
    }
}

fn key_text(key: &cel::objects::Key) -> String {
    match key {
        cel::objects::Key::String(text) => text.to_string(),
        cel::objects::Key::Int(number) => number.to_string(),
        cel::objects::Key::Uint(number) => number.to_string(),
        cel::objects::Key::Bool(flag) => flag.to_string(),
    }
}

/// RFC 3339 text of a timestamp to the second, as report headers show it.
pub fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::model::Timestamp;

    #[derive(Serialize)]
    struct Sample {
        when: Timestamp,
        names: Vec<String>,
    }

    fn bindings<'a>(item: Node<'a>, empty: Node<'a>) -> Bindings<'a> {
        Bindings {
            names: Names {
                account: item,
                params: empty,
                as_of: empty,
                item,
                parent: None,
                key: None,
                index: Some(2),
            },
            memo: None,
        }
    }

    /// `expr` judged against an empty account (every bound name an empty map).
    fn eval_alone(expr: &Expr) -> Result<bool, String> {
        let doc = Document::from_data(&Data::Map(BTreeMap::new()));
        expr.eval_bool(&bindings(doc.root(), doc.root()))
    }

    #[test]
    fn values_read_straight_are_what_cels_value_makes_of_them() {
        let map = |entries: Vec<(&str, Data)>| {
            Data::Map(
                entries
                    .into_iter()
                    .map(|(key, value)| (key.to_owned(), value))
                    .collect(),
            )
        };
        let data = map(vec![
            ("text", Data::Str("héllo".to_owned())),
            ("count", Data::Int(-3)),
            ("flag", Data::Bool(true)),
            ("ratio", Data::Float(0.25)),
            ("nothing", Data::Null),
            ("when", Data::Time("2026-11-20T06:00:00Z".parse().unwrap())),
            (
                "list",
                Data::List(vec![
                    Data::Int(1),
                    map(vec![("inner", Data::Str("v".to_owned()))]),
                ]),
            ),
        ]);
        let doc = Document::from_data(&data);
        let through_value = value_to_data(&Value::try_from(doc.root().0).unwrap());
        assert_eq!(val_to_data(doc.root().0).unwrap(), through_value);
        assert_eq!(through_value, data);
        // Keys that are not strings, which only a map literal makes.
        let keyed: CelMap = std::collections::HashMap::from([
            (
                CelMapKey::from(7_i64),
                Box::new(CelBool::from(false)) as Box<dyn Val>,
            ),
            (CelMapKey::from(true), Box::new(CelInt::from(1))),
        ])
        .into();
        assert_eq!(
            val_to_data(&keyed).unwrap(),
            value_to_data(&Value::try_from(&keyed as &dyn Val).unwrap())
        );
    }

    #[test]
    fn timestamps_survive_conversion() {
        let when = Timestamp("2026-11-20T06:00:00Z".parse().unwrap());
        let doc = Document::from_serialize(&Sample {
            when,
            names: vec!["a".into()],
        })
        .unwrap();
        let empty = Document::from_data(&Data::Map(BTreeMap::new()));
        let expr = compile("item.when == timestamp('2026-11-20T06:00:00Z') && index == 2").unwrap();
        assert_eq!(expr.eval_bool(&bindings(doc.root(), empty.root())), Ok(true));
    }

    /// The converter must build what `cel::to_value` builds, on accounts that use every section.
    #[test]
    fn conversion_matches_the_cel_crate() {
        for name in ["account.toml", "compliant.toml", "small.toml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(name);
            let loaded = crate::account::load_path(&path, name).unwrap_or_else(|_| panic!("{name} loads"));
            let ours = Document::from_serialize(&loaded.model).unwrap();
            let ours = Value::try_from(ours.root.as_ref()).unwrap();
            let theirs = cel::to_value(&loaded.model).unwrap();
            assert_eq!(ours, theirs, "{name}");
            let images = Document::from_list(&loaded.model.images).unwrap();
            let images = Value::try_from(images.root.as_ref()).unwrap();
            assert_eq!(
                images,
                cel::to_value(&loaded.model.images).unwrap(),
                "{name} images"
            );
        }
    }

    #[test]
    fn missing_field_is_an_error_not_false() {
        let error = eval_alone(&compile("item.absent == 1").unwrap()).unwrap_err();
        assert!(error.contains("absent"), "{error}");
    }

    #[test]
    fn reads_names_bound_names_used_anywhere() {
        let expr = compile("parent.ref == 'x' && item.env.exists(e, e == key)").unwrap();
        assert!(expr.reads("parent") && expr.reads("item") && expr.reads("key"));
        assert!(!expr.reads("index") && !expr.reads("account"));
    }

    #[test]
    fn qualified_functions_are_declared_under_their_namespace() {
        for name in ["lists.range", "optional.of", "optional.none", "strings.quote"] {
            assert!(is_declared_function(name), "{name}");
            let (namespace, _) = name.split_once('.').unwrap();
            assert!(FUNCTION_NAMESPACES.contains(&namespace), "{name}");
        }
        // Turned off in Cargo.toml (`ext_encoders`) or not in `cel`: unknown functions.
        assert!(!is_declared_function("base64.encode") && !is_declared_function("math.abs"));
    }

    #[test]
    fn unknown_functions_are_found_at_compile_time() {
        let expr = compile("size(item) > 0 && item.startsWith('a') && frobnicate(item)").unwrap();
        assert_eq!(expr.unknown_functions(), vec!["frobnicate".to_owned()]);
        // A call through a namespace is known by its qualified name.
        let namespaced = compile("lists.range(3).size() > 0 && strings.quote('a') != '' && frob(1)").unwrap();
        assert_eq!(namespaced.unknown_functions(), vec!["frob".to_owned()]);
        // A qualified name is declared only when the function is: not every dotted name is.
        let unknown = compile("strings.quote2('a') != '' && nosuch.frob(1)").unwrap();
        assert_eq!(
            unknown.unknown_functions(),
            vec!["frob".to_owned(), "strings.quote2".to_owned()]
        );
        assert!(is_declared_function("strings.quote") && is_declared_function("lists.range"));
        assert!(!is_declared_function("nosuch.frob") && !is_declared_function("strings.quote2"));
    }

    /// Built-in expressions are compiled with the fast (Pratt) parser, users' with the reference
    /// (ANTLR) parser of regcheck's environment: both must read every built-in expression, and
    /// every hole of a built-in template, into the same tree (node ids aside).
    #[test]
    fn fast_parser_reads_every_builtin_expression_as_the_reference_parser_does() {
        let ids = regex::Regex::new(r"\bid: \d+").unwrap();
        let tree = |expression: &Expression| ids.replace_all(&format!("{expression:?}"), "id").into_owned();
        let policies = crate::policy::builtin_checked().expect("built-ins load");
        let mut sources = Vec::new();
        for policy in &policies {
            for check in &policy.checks {
                sources.extend(check.when.iter().map(|when| when.value.source().to_owned()));
                sources.push(check.assert.value.source().to_owned());
                for template in [Some(&check.subject), Some(&check.message), check.locate.as_ref()]
                    .into_iter()
                    .flatten()
                {
                    sources.extend(template.value.holes().map(|(expr, _)| expr.source().to_owned()));
                }
            }
        }
        assert!(sources.len() > 200, "{} expressions", sources.len());
        for source in &sources {
            let reference = environment()
                .parser()
                .parse(source)
                .expect("the reference parser reads it");
            let fast = parse_fast(source).expect("the fast parser reads it");
            assert_eq!(tree(&fast), tree(&reference), "{source}");
        }
    }

    #[test]
    fn a_deferred_expression_compiles_on_first_use_and_fails_closed() {
        assert_eq!(eval_alone(&Expr::deferred("1 + 1 == 2")), Ok(true));
        // It keeps no tree as written, but knows the names it reads.
        let reading = Expr::deferred("[1].exists(x, x == item.count) || has(parent.ref)");
        for (name, reads) in [
            ("item", true),
            ("parent", true),
            ("x", true),
            ("index", false),
            ("@result", false),
        ] {
            assert_eq!(reading.reads(name), reads, "{name}");
        }
        let broken = Expr::deferred("1 +");
        assert!(eval_alone(&broken).is_err());
        assert!(
            broken.reads("item"),
            "an expression that does not compile reads everything"
        );
    }

    /// The built-ins' expressions are compiled on first use with the fast parser; that path gets
    /// the same strict rewrite and the same meter as a user's expression compiled at load.
    #[test]
    fn a_builtin_expression_compiled_on_first_use_is_strict_and_metered() {
        let ids = regex::Regex::new(r"\bid: \d+").unwrap();
        let tree = |expression: &Expression| ids.replace_all(&format!("{expression:?}"), "id").into_owned();
        // Strict: an error is not absorbed by `||`, whichever way the expression was compiled.
        let lazy = Expr::deferred("item.absent == 1 || true");
        assert!(!lazy.is_compiled());
        assert!(eval_alone(&lazy).is_err());
        // Every built-in as an audit reads it (trusted, from the prepared index): compiled on
        // first use, into the tree a load-time compile makes, strict rewrite and meters included.
        let policies = crate::policy::builtin().expect("built-ins load");
        let (mut seen, mut rewritten) = (0, 0);
        for policy in &policies {
            for check in &policy.checks {
                for expr in check.when.iter().chain([&check.assert]) {
                    let expr = &expr.value;
                    assert!(!expr.is_compiled(), "{}: compiled before use", policy.id);
                    let lazy = expr.compiled().expect("compiles");
                    let checked = compile(expr.source()).expect("compiles");
                    let checked = checked.compiled().expect("compiled");
                    assert_eq!(
                        tree(&lazy.evaluated),
                        tree(&checked.evaluated),
                        "{}",
                        expr.source()
                    );
                    assert!(lazy.written.is_none(), "a deferred expression keeps no copy");
                    let (written, _) = checked.written.as_deref().expect("compile keeps it");
                    rewritten += usize::from(tree(&lazy.evaluated) != tree(written));
                    seen += 1;
                }
            }
        }
        assert!(seen >= 40, "{seen} expressions");
        // Most are rewritten (`||`, `&&`, loops, costly operators); a plain comparison is not.
        assert!(rewritten * 2 > seen, "{rewritten} of {seen} rewritten");
        // Metered: a built-in rule evaluated on a small budget is an error, not a pass.
        let account = crate::account::load_str(
            "examples/account.toml",
            include_str!("../../../examples/account.toml"),
        )
        .expect("the example loads");
        let iam = policies
            .iter()
            .find(|policy| policy.id == "ICR-IAM-003")
            .expect("ICR-IAM-003 is a built-in");
        let mut settings = crate::engine::Settings::new("2026-11-26T00:00:00Z".parse().unwrap());
        let outcome = &crate::engine::evaluate(&account, std::slice::from_ref(iam), &settings)[0];
        assert_ne!(
            outcome.status,
            crate::findings::RuleStatus::Error,
            "{:?}",
            outcome.error
        );
        settings.budget = 5;
        let outcome = &crate::engine::evaluate(&account, std::slice::from_ref(iam), &settings)[0];
        assert_eq!(outcome.status, crate::findings::RuleStatus::Error);
        let message = outcome
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(message.contains("evaluation budget exhausted"), "{message}");
    }

    #[test]
    fn logic_is_strict_left_to_right_and_typed() {
        let eval = |source: &str| eval_alone(&compile(source).unwrap());
        for error in [
            "item.absent == 1 || true",
            "item.absent == 1 && false",
            "[1, 2].exists(x, x == 1 ? item.absent : true)",
            "![0, 1].all(x, x == 0 ? item.absent : false)",
            "1 || true",
            "false || 'yes'",
            "true && 'yes'",
        ] {
            assert!(eval(error).is_err(), "{error}: {:?}", eval(error));
        }
        for (source, expected) in [
            ("true || item.absent == 1", true),
            ("false && item.absent == 1", false),
            ("[1, 2].exists(x, x == 1 || item.absent)", true),
            ("[1, 2].all(x, x != 1 && item.absent)", false),
            ("has(item.absent) && item.absent == 1", false),
        ] {
            assert_eq!(eval(source), Ok(expected), "{source}");
        }
    }

    /// `matches` is regcheck's own (the `cel` crate's `regex` feature is off): global and
    /// member forms, on the native path and on `cel`'s (a `map` the native evaluator leaves to
    /// it), with `cel`'s error for an invalid pattern.
    #[test]
    fn matches_is_declared_in_both_forms_and_reports_a_bad_pattern_as_cel_does() {
        let eval = |source: &str| eval_alone(&compile(source).unwrap());
        for (source, expected) in [
            ("'foobar'.matches('^[a-zA-Z]*$')", true),
            ("matches('foo1', '^[a-zA-Z]*$')", false),
            ("'npm token'.matches('^([AEIOU]|npm )')", true),
            (
                "['AWS key', 'IBM key'].map(d, d.matches('^[AEIOU]')) == [true, true]",
                true,
            ),
            ("['a key'].map(d, d.matches('^[AEIOU]')) == [false]", true),
        ] {
            assert_eq!(eval(source), Ok(expected), "{source}");
        }
        let error = eval("'foobar'.matches('(foo')").unwrap_err();
        assert!(
            error.contains("'(foo' not a valid regex:") && error.contains("unclosed group"),
            "{error}"
        );
        assert!(
            compile("'x'.matches('x')")
                .unwrap()
                .unknown_functions()
                .is_empty()
        );
    }

    /// `distinct` of strings is the native evaluator's (the ICR-SEC messages name each kind of
    /// secret once); of anything else, `cel`'s. Test builds check each native answer, and what
    /// it charged, against `cel`'s.
    #[test]
    fn distinct_keeps_the_first_of_equal_strings_and_leaves_other_values_to_cel() {
        for (source, native) in [
            ("['b', 'b', 'c', 'a', 'c'].distinct() == ['b', 'c', 'a']", true),
            ("[].distinct() == []", true),
            (
                "['an AWS key', 'a token', 'an AWS key'].distinct().join(' and ') == 'an AWS key and a token'",
                true,
            ),
            ("[1, 1u, 1.0, 2u].distinct() == [1, 2u]", false),
            // Compiled for the native evaluator, which hands it to `cel` when it meets the 1.
            ("['a', 1, 'a'].distinct() == ['a', 1]", true),
        ] {
            let expr = compile(source).unwrap();
            assert_eq!(eval_alone(&expr), Ok(true), "{source}");
            if native {
                assert!(expr.is_native(), "{source}: compiled for the native evaluator");
            }
        }
    }

    /// `split` with a limit (`item.split('=', 2)[0]`, the ICR-SEC rules' name of an env entry)
    /// is the native evaluator's, with `cel`'s meaning of every limit; test builds check each
    /// answer, and its cost, against `cel`'s.
    #[test]
    fn split_with_a_limit_keeps_the_rest_in_the_last_part() {
        for source in [
            "'A=b=c'.split('=', 2) == ['A', 'b=c']",
            "'A=b=c'.split('=', 2)[0] == 'A'",
            "'A=b=c'.split('=', 1) == ['A=b=c']",
            "'A=b=c'.split('=', 0) == []",
            "'A=b=c'.split('=', -1) == ['A', 'b', 'c']",
            "'A=b=c'.split('=', 9) == ['A', 'b', 'c']",
            "'noequals'.split('=', 2) == ['noequals']",
            "'žluť'.split('', 3) == ['ž', 'l', 'uť']",
            "'žluť'.split('', -1) == ['ž', 'l', 'u', 'ť']",
            "''.split('', 2) == []",
            "'a,b'.split(',') == ['a', 'b']",
        ] {
            let expr = compile(source).unwrap();
            assert!(expr.is_native(), "{source}: compiled for the native evaluator");
            assert_eq!(eval_alone(&expr), Ok(true), "{source}");
        }
    }

    #[test]
    fn expressions_are_metered_and_an_exhausted_meter_stays_exhausted() {
        let expr = compile("lists.range(100).all(i, i >= 0)").unwrap();
        let _tight = budget::meter(50);
        let error = eval_alone(&expr).unwrap_err();
        assert!(error.contains("evaluation budget exhausted"), "{error}");
        let cheap = compile("true").unwrap();
        assert!(
            eval_alone(&cheap).is_err(),
            "the subject's budget is spent: every further evaluation fails"
        );
    }

    #[test]
    fn syntax_errors_carry_an_offset() {
        let error = compile("a &&& b").unwrap_err();
        assert!(error.offset.is_some());
    }
}
