use leptos::prelude::*;
use leptos_router::components::A;

use crate::error::AppError;
use crate::pages::auth::AccountLink;
use crate::pages::lang::{use_lang, LangSwitch};

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

#[component]
pub fn NotFound() -> impl IntoView {
    // An unknown path's 404 status is set by the server's fallback handler: this view streams.
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
    let lang = use_lang();
    let code = error.code();
    view! {
        <p class="error" role="alert" data-testid="error" data-code=code>
            {move || error.message(lang.get())}
        </p>
    }
}
