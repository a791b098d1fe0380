//! The menu's server function.

use leptos::prelude::*;

use crate::domain::menu::Menu;
use crate::error::AppError;

/// The whole menu, straight from PostgreSQL.
#[server(prefix = "/api", endpoint = "menu")]
pub async fn get_menu() -> Result<Menu, AppError> {
    let ctx = crate::infra::context::app_context()?;
    crate::services::menu::load_menu(&ctx.pool).await
}
