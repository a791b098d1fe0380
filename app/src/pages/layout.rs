use leptos::prelude::*;
use leptos_router::components::A;

use crate::error::AppError;
use crate::i18n::{use_lang, LangSwitch};
use crate::pages::auth::AccountLink;

#[component]
pub fn Header() -> impl IntoView {
    let lang = use_lang();
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                <span aria-hidden="true">"🍽️"</span>
                {move || lang.get().pick("미스터 대박", "Mr. Daebak")}
            </A>
            <nav>
                <A href="/menu" attr:data-testid="nav-menu">
                    {move || lang.get().pick("메뉴", "Menu")}
                </A>
                <A href="/order" attr:data-testid="nav-order">
                    {move || lang.get().pick("주문하기", "Order")}
                </A>
                <A href="/orders" attr:data-testid="nav-orders">
                    {move || lang.get().pick("내 주문", "My orders")}
                </A>
            </nav>
            <AccountLink />
            <LangSwitch />
        </header>
    }
}

/// Sets the HTTP status of the page being rendered on the server; a no-op in the browser.
pub fn set_page_status(_status: http::StatusCode) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(_status);
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_page_status(http::StatusCode::NOT_FOUND);
    let lang = use_lang();
    view! {
        <section class="not-found" data-testid="not-found">
            <h1>{move || lang.get().pick("페이지를 찾을 수 없습니다", "Page not found")}</h1>
            <A href="/menu">{move || lang.get().pick("메뉴 보기", "See the menu")}</A>
        </section>
    }
}

#[component]
pub fn ErrorMessage(error: AppError) -> impl IntoView {
    set_page_status(error.status());
    view! {
        <p class="error" role="alert" data-testid="error" data-code=error.code()>
            {error.to_string()}
        </p>
    }
}
