//! Lists with optional filters: a WHERE clause built from the filters given,
//! with `$n` placeholders (sqlx's QueryBuilder would write `?` for `Any`, which
//! PostgreSQL refuses) and the values bound in order. Column names and operators
//! come from our code only; every value is a bound parameter.

use sqlx::Any;
use sqlx::query::QueryAs;

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

#[derive(Debug, Default)]
pub(crate) struct Where {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    fn next(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// `column = value`, if a value is given.
    pub fn eq(&mut self, column: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let p = self.next(Arg::Text(v.to_string()));
            self.clauses.push(format!("{column} = {p}"));
        }
        self
    }

    /// `column IN (values…)`, if any are given.
    pub fn any_of(&mut self, column: &str, values: &[String]) -> &mut Self {
        if !values.is_empty() {
            let ps: Vec<String> = values
                .iter()
                .map(|v| self.next(Arg::Text(v.clone())))
                .collect();
            self.clauses
                .push(format!("{column} IN ({})", ps.join(", ")));
        }
        self
    }

    /// `column op value` for a number (`<`, `>=`, …), if given.
    pub fn cmp(&mut self, column: &str, op: &'static str, value: Option<i64>) -> &mut Self {
        if let Some(v) = value {
            let p = self.next(Arg::Int(v));
            self.clauses.push(format!("{column} {op} {p}"));
        }
        self
    }

    /// Any of `columns` contains `text` (case-sensitive, `%` and `_` taken literally).
    pub fn contains(&mut self, columns: &[&str], text: Option<&str>) -> &mut Self {
        if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
            let escaped = t
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = self.next(Arg::Text(format!("%{escaped}%")));
            let ors: Vec<String> = columns
                .iter()
                .map(|c| format!("{c} LIKE {p} ESCAPE '\\'"))
                .collect();
            self.clauses.push(format!("({})", ors.join(" OR ")));
        }
        self
    }

    /// A fixed condition with no value.
    pub fn raw(&mut self, clause: &str) -> &mut Self {
        self.clauses.push(clause.to_string());
        self
    }

    /// ` WHERE …` (empty when there is no filter).
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// A placeholder for LIMIT/OFFSET values after the filter's own.
    pub fn param(&mut self, v: i64) -> String {
        self.next(Arg::Int(v))
    }

    pub fn bind<'q, O>(
        &self,
        mut q: QueryAs<'q, Any, O, <Any as sqlx::Database>::Arguments>,
    ) -> QueryAs<'q, Any, O, <Any as sqlx::Database>::Arguments> {
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }
}
