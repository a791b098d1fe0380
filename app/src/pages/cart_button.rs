//! "장바구니에 담기" on the menu and dinner pages: the dinner as it comes goes into the cart,
//! and the builder opens on its line.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::cart::AddToCart;
use crate::domain::order::LineDraft;
use crate::pages::lang::use_lang;
use crate::pages::ErrorMessage;

#[component]
pub fn AddToCartButton(line: LineDraft) -> impl IntoView {
    let lang = use_lang();
    let add = ServerAction::<AddToCart>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(count)) = add.value().get() {
            navigate(
                &format!("/order?line={}", count.saturating_sub(1)),
                Default::default(),
            );
        }
    });
    let code = line.menu.clone();
    view! {
        <button type="button" class="button primary" data-testid="add-to-cart" data-code=code
            disabled=move || add.pending().get()
            on:click=move |_| { add.dispatch(AddToCart { line: line.clone() }); }>
            {move || lang.get().pick("장바구니에 담기", "Add to cart")}
        </button>
        {move || add.value().get().and_then(Result::err).map(|error| view! { <ErrorMessage error /> })}
    }
}
