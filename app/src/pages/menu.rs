use leptos::prelude::*;
use leptos_router::components::A;

use crate::pages::lang::use_lang;

use crate::api::menu::get_menu;
use crate::domain::i18n::Lang;
use crate::domain::menu::{Dinner, Menu, Named};
use crate::domain::order::LineDraft;
use crate::pages::cart_button::AddToCartButton;
use crate::pages::ErrorMessage;

#[component]
pub fn MenuPage() -> impl IntoView {
    let lang = use_lang();
    let menu = Resource::new(|| (), |_| get_menu());
    view! {
        <h1>{move || lang.get().pick("메뉴", "Menu")}</h1>
        <Suspense fallback=move || view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                match menu.await {
                    Ok(menu) => view! { {move || menu_grid(&menu, lang.get())} }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn menu_grid(menu: &Menu, lang: Lang) -> impl IntoView + use<> {
    let cards = menu
        .dinners
        .iter()
        .map(|d| menu_card(menu, d, lang))
        .collect_view();
    view! { <div class="menu-grid" data-testid="menu-grid">{cards}</div> }
}

fn menu_card(menu: &Menu, dinner: &Dinner, lang: Lang) -> impl IntoView + use<> {
    let styles = dinner
        .styles
        .iter()
        .map(|s| {
            let label = if s.surcharge.won() > 0 {
                format!("{} +{}", s.name(lang), lang.price(s.surcharge))
            } else {
                s.name(lang).to_owned()
            };
            view! { <li data-testid="menu-style" data-code=s.code.clone()>{label}</li> }
        })
        .collect_view();
    let components = dinner
        .components
        .iter()
        .map(|c| format!("{} {}{}", c.name(lang), c.default_quantity, c.unit(lang)))
        .collect::<Vec<_>>()
        .join(" · ");
    let serves = (dinner.serves > 1).then(|| {
        view! { <span class="serves">{lang.pick(format!("{}인용", dinner.serves), format!("serves {}", dinner.serves))}</span> }
    });
    view! {
        <article class="menu-card" data-testid="menu-card" data-code=dinner.code.clone()>
            <div class="menu-icon" aria-hidden="true">{dinner.icon.clone()}</div>
            <h2 data-testid="menu-name">{dinner.name(lang).to_owned()} {serves}</h2>
            <p class="description">{dinner.description(lang).to_owned()}</p>
            <p class="price" data-testid="menu-price">{lang.price(dinner.base_price)}</p>
            {dinner.sold_out.then(|| view! { <p class="sold-out" data-testid="sold-out">{lang.pick("품절", "Sold out")}</p> })}
            <ul class="styles" aria-label=lang.pick("스타일", "Styles")>{styles}</ul>
            <p class="components" data-testid="menu-components">{components}</p>
            <A href=format!("/menu/{}", dinner.code) attr:class="button" attr:data-testid="menu-detail-link">
                {lang.pick("자세히 보기", "Details")}
            </A>
            <AddToCartButton line=LineDraft::as_it_comes(menu, &dinner.code) />
        </article>
    }
}
