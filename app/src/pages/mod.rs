//! One module per page, plus the pieces every page shares.

mod dinner;
mod home;
mod layout;
mod menu;

pub use dinner::DinnerPage;
pub use home::HomePage;
pub use layout::{ErrorMessage, Header, NotFound};
pub use menu::MenuPage;
