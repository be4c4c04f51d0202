//! `INSERT`s whose text never varies, for the rows every write step adds (audit events,
//! outbox rows).
//!
//! diesel leaves a `None` field out of a SQLite `INSERT` (SQLite has no `DEFAULT` among
//! `VALUES`), so the text of an insert of a row with optional fields is built anew for every
//! execution, looked up by that text and prepared again. In a profile of bulk approval at
//! 100k rows that was over half of the write thread's time for each outbox row and audit
//! event. An insert made with [`static_insert!`] names every column, binds `NULL` for a
//! `None`, and has a static query id, so each connection prepares it once and keeps it
//! (as `activities::ReplaceIfCurrent` does for the workflow's `UPDATE`).

/// Defines `$name<'q>(pub &'q $row)`, an `INSERT INTO $table` of the listed fields of `$row`
/// (each bound with its SQL type), run with `RunQueryDsl::execute`; `$id` is its
/// statement-cache key. Each field must be a column of `schema::$table` of that SQL type,
/// which the compiler checks.
macro_rules! static_insert {
    ($name:ident, $id:ident, $row:ty, $table:ident, { $first:ident: $fty:ty $(, $col:ident: $ty:ty)* $(,)? }) => {
        pub(super) struct $name<'q>(pub &'q $row);

        /// The statement-cache key of the insert of the same name.
        pub(super) struct $id;

        impl<C> diesel::query_dsl::RunQueryDsl<C> for $name<'_> {}

        impl diesel::query_builder::QueryId for $name<'_> {
            type QueryId = $id;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl diesel::query_builder::QueryFragment<super::MultiBackend> for $name<'_> {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, super::MultiBackend>,
            ) -> diesel::QueryResult<()> {
                // Compiles only if each field is a column of the table of its SQL type (the
                // calls are of unit values and cost nothing).
                fn is_column_of_type<C: diesel::Column + diesel::Expression<SqlType = T>, T>(_: C) {}
                is_column_of_type::<_, $fty>(super::schema::$table::$first);
                $( is_column_of_type::<_, $ty>(super::schema::$table::$col); )*
                out.push_sql(concat!(
                    "INSERT INTO ", stringify!($table), " (", stringify!($first), $(", ", stringify!($col),)* ") VALUES ("
                ));
                out.push_bind_param::<$fty, _>(&self.0.$first)?;
                $(
                    out.push_sql(", ");
                    out.push_bind_param::<$ty, _>(&self.0.$col)?;
                )*
                out.push_sql(")");
                Ok(())
            }
        }
    };
}
