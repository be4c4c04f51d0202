//! The public data generation, moved by every change that public endpoints can see.

use super::schema::public_state;
use super::{DbConn, Result};
use diesel::prelude::*;

pub fn get(conn: &mut DbConn) -> Result<i64> {
    Ok(public_state::table
        .find(1)
        .select(public_state::generation)
        .first(conn)?)
}

/// Call inside the transaction of the change, so readers never see new data under an old
/// generation for longer than their refresh interval.
pub fn bump(conn: &mut DbConn) -> Result<()> {
    diesel::update(public_state::table.find(1))
        .set(public_state::generation.eq(public_state::generation + 1))
        .execute(conn)?;
    Ok(())
}
