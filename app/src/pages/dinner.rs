use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::menu::get_menu;
use crate::domain::i18n::Lang;
use crate::domain::menu::{Dinner, Menu, Named};
use crate::domain::order::LineDraft;
use crate::error::AppError;
use crate::pages::cart_button::AddToCartButton;
use crate::pages::lang::use_lang;
use crate::pages::ErrorMessage;

#[component]
pub fn DinnerPage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let menu = Resource::new(|| (), |_| get_menu());
    view! {
        <Suspense fallback=move || view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                match menu.await {
                    Ok(menu) => {
                        view! { {move || dinner_view(&menu, &code(), lang.get())} }.into_any()
                    }
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Answers 404 for a dinner the menu does not have (the page's render is complete before the
/// response starts: the route renders `SsrMode::Async`).
fn not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

fn dinner_view(menu: &Menu, code: &str, lang: Lang) -> AnyView {
    let Some(dinner) = menu.dinner(code) else {
        not_found_status();
        let error = AppError::NotFound(
            lang.pick("메뉴를 찾을 수 없습니다", "No such dinner")
                .to_owned(),
        );
        return view! { <ErrorMessage error /> }.into_any();
    };
    view! {
        <article class="dinner-detail" data-testid="dinner-detail" data-code=dinner.code.clone()>
            <A href="/menu" attr:class="back">{lang.pick("← 메뉴로", "← Menu")}</A>
            <div class="dinner-head">
                <div class="menu-icon large" aria-hidden="true">{dinner.icon.clone()}</div>
                <div>
                    <h1 data-testid="dinner-name">{dinner.name(lang).to_owned()}</h1>
                    <p class="description">{dinner.description(lang).to_owned()}</p>
                    <p class="price" data-testid="dinner-price">{lang.price(dinner.base_price)}</p>
                </div>
            </div>
            <AddToCartButton line=LineDraft::as_it_comes(menu, &dinner.code) />
            {styles_section(dinner, lang)}
            {components_section(dinner, lang)}
            <section>
                <h2>{lang.pick("곁들임 메뉴", "Side dishes")}</h2>
                <ul class="options">
                    {menu.side_dishes.iter().map(|s| view! {
                        <li data-testid="side-dish" data-code=s.code.clone()>
                            <span>{s.name(lang).to_owned()}</span>
                            <span class="price">{lang.price(s.price)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        </article>
    }
    .into_any()
}

fn styles_section(dinner: &Dinner, lang: Lang) -> impl IntoView + use<> {
    view! {
        <section>
            <h2>{lang.pick("서빙 스타일", "Serving styles")}</h2>
            <ul class="options">
                {dinner.styles.iter().map(|s| {
                    let total = s.surcharge.checked_add(dinner.base_price).unwrap_or(dinner.base_price);
                    view! {
                        <li data-testid="style-option" data-code=s.code.clone()>
                            <span>{s.name(lang).to_owned()}</span>
                            <span class="price">{lang.price(total)}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

fn components_section(dinner: &Dinner, lang: Lang) -> impl IntoView + use<> {
    view! {
        <section>
            <h2>{lang.pick("구성", "What's included")}</h2>
            <ul class="options">
                {dinner.components.iter().map(|c| view! {
                    <li data-testid="component" data-code=c.code.clone()>
                        <span>{format!("{} {}{}", c.name(lang), c.default_quantity, c.unit(lang))}</span>
                        <span class="extra">
                            {lang.pick(
                                format!("추가 {} / {}", lang.price(c.extra_unit_price), c.unit(lang)),
                                format!("extra {} per {}", lang.price(c.extra_unit_price), c.unit(lang)),
                            )}
                        </span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}
