//! Mr. Daebak's pages, server functions and the types the browser and the server share.
//! Server-only code (sqlx, services) compiles only with the `ssr` feature.

//!
//! Layers, lowest first; each imports only its own and those below (scripts/check_layers.py):
//! `domain` (pure types and rules) → `error` → `infra` (ssr: context, Redis, AI queues) →
//! `services` (ssr: business operations) → `api` (server functions) → `pages` → this root.

pub mod api;
pub mod domain;
pub mod error;
#[cfg(feature = "ssr")]
pub mod infra;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod services;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Html, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::pages::auth::provide_auth;
use crate::pages::lang::{initial_lang, use_lang};
use crate::pages::{
    AccountPage, DinnerPage, Header, HomePage, LoginPage, MenuPage, MyOrdersPage, NotFound,
    OrderBuilderPage, OrderPage, PaymentPage, SignupPage, StaffBoardPage, StaffEventsPage,
    StaffStockPage,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy(&options);
    view! {
        <!DOCTYPE html>
        <html lang="ko">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 viewBox=%220 0 100 100%22%3E%3Ctext y=%22.9em%22 font-size=%2290%22%3E🍽️%3C/text%3E%3C/svg%3E" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Scripts run only from our origin or with this page's nonce (the hydration script and the
/// streamed resources carry it); nothing may frame the pages (the payment page included).
#[cfg(feature = "ssr")]
fn content_security_policy(options: &LeptosOptions) {
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    // `cargo leptos watch` reloads the page over a WebSocket on its own port.
    let reload = match options.env {
        leptos::config::Env::DEV => " ws: wss:",
        leptos::config::Env::PROD => "",
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' blob:; \
         connect-src 'self'{reload}; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&policy),
    ) else {
        return;
    };
    response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(RwSignal::new(initial_lang()));
    let lang = use_lang();
    provide_auth();
    // The server writes the head after the page has rendered, where the page's owner may be gone
    // and the thread may have no reactive arena: reading `lang` there panicked and dropped the
    // connection (the fuzzer's HEAD of an unknown page). So the head reads an Arc signal, which
    // lives outside the arena, kept in step with `lang` in the browser.
    let head_lang = ArcRwSignal::new(lang.get_untracked());
    Effect::new({
        let head_lang = head_lang.clone();
        move |_| head_lang.set(lang.get())
    });
    let html_lang = {
        let head_lang = head_lang.clone();
        move || head_lang.get().code()
    };
    let title = move || {
        head_lang
            .get()
            .pick("미스터 대박 디너", "Mr. Daebak Dinner")
    };

    view! {
        <Html {..} lang=html_lang />
        <Stylesheet id="leptos" href="/pkg/mrdaebak.css" />
        <Title text=title />
        <Router>
            <Header />
            <main class="container">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/menu") view=MenuPage />
                    // Async: the detail is in the HTML itself, readable without JavaScript, and a
                    // missing dinner's 404 is known before the response starts.
                    <Route path=path!("/menu/:code") view=DinnerPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignupPage />
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/account") view=AccountPage />
                    <Route path=path!("/order") view=OrderBuilderPage />
                    <Route path=path!("/orders") view=MyOrdersPage />
                    <Route path=path!("/orders/:id") view=OrderPage />
                    <Route path=path!("/orders/:id/pay") view=PaymentPage />
                    <Route path=path!("/staff") view=StaffBoardPage />
                    <Route path=path!("/staff/stock") view=StaffStockPage />
                    <Route path=path!("/staff/events") view=StaffEventsPage />
                </Routes>
            </main>
        </Router>
    }
}
