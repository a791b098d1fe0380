//! The card form (shared by the builder and the payment page) and the payment page, where a
//! pending order is paid or paid again after a decline (2a).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::checkout::{get_order, PayOrder};
use crate::domain::payment::CardInput;
use crate::pages::lang::use_lang;
use crate::pages::orders::order_id_param;
use crate::pages::ErrorMessage;

/// The card being typed, plus the idempotency key of the current attempt: the same attempt
/// sent twice is charged once; editing the card starts a new attempt.
#[derive(Clone, Copy)]
pub struct CardState {
    number: RwSignal<String>,
    expiry: RwSignal<String>,
    cvv: RwSignal<String>,
    holder: RwSignal<String>,
    attempt: RwSignal<Option<String>>,
}

impl CardState {
    pub fn new() -> Self {
        CardState {
            number: RwSignal::new(String::new()),
            expiry: RwSignal::new(String::new()),
            cvv: RwSignal::new(String::new()),
            holder: RwSignal::new(String::new()),
            attempt: RwSignal::new(None),
        }
    }

    pub fn input(&self) -> CardInput {
        CardInput {
            number: self.number.get_untracked(),
            expiry: self.expiry.get_untracked(),
            cvv: self.cvv.get_untracked(),
            holder: self.holder.get_untracked(),
        }
    }

    pub fn attempt_key(&self) -> Option<String> {
        if let Some(key) = self.attempt.get_untracked() {
            return Some(key);
        }
        let key = new_attempt_key();
        self.attempt.set(key.clone());
        key
    }
}

impl Default for CardState {
    fn default() -> Self {
        Self::new()
    }
}

fn new_attempt_key() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.random_uuid())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

#[component]
pub fn CardFields(card: CardState) -> impl IntoView {
    let lang = use_lang();
    let field = move |label: (&'static str, &'static str),
                      signal: RwSignal<String>,
                      testid: &'static str,
                      placeholder: &'static str,
                      mode: &'static str| {
        view! {
            <label>{move || lang.get().pick(label.0, label.1)}
                <input type="text" inputmode=mode autocomplete="off" data-testid=testid placeholder=placeholder
                    prop:value=move || signal.get()
                    on:input=move |ev| { signal.set(event_target_value(&ev)); card.attempt.set(None); } />
            </label>
        }
    };
    view! {
        <div class="card-fields">
            {field(("카드 번호", "Card number"), card.number, "card-number", "4242 4242 4242 4242", "numeric")}
            {field(("유효기간 (MM/YY)", "Expiry (MM/YY)"), card.expiry, "card-expiry", "12/30", "numeric")}
            {field(("CVV", "CVV"), card.cvv, "card-cvv", "123", "numeric")}
            {field(("카드 소유자", "Card holder"), card.holder, "card-holder", "", "text")}
        </div>
    }
}

#[component]
pub fn PaymentPage() -> impl IntoView {
    let lang = use_lang();
    let order_id = order_id_param();
    let query = use_query_map();
    let declined = query.read_untracked().get("declined").is_some();
    // Arrived from a confirmed voice order (DESIGN §8: 주문이 생성되었습니다 — then payment).
    let created = query.read_untracked().get("created").is_some();
    let order = Resource::new(order_id, get_order);
    let card = CardState::new();
    let pay = ServerAction::<PayOrder>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(receipt)) = pay.value().get() {
            navigate(&format!("/orders/{}", receipt.order_id), Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pay.dispatch(PayOrder {
            order_id: order_id(),
            card: card.input(),
            idempotency_key: card.attempt_key(),
        });
    };
    view! {
        <section class="payment-page">
            <h1>{move || lang.get().pick("결제", "Payment")}</h1>
            {move || (created && pay.value().get().is_none()).then(|| view! {
                <p class="success" role="status" data-testid="order-created">
                    {move || lang.get().pick(
                        "주문이 생성되었습니다. 결제를 진행해 주세요.",
                        "Your order has been created. Please pay to confirm it.",
                    )}
                </p>
            })}
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok(o) if o.payment_status == "paid" => view! {
                            <p>{move || lang.get().pick("이미 결제된 주문입니다.", "This order is already paid.")}</p>
                            <A href=format!("/orders/{}", o.id)>{o.order_number.clone()}</A>
                        }.into_any(),
                        Ok(o) => view! {
                            <p>{move || lang.get().pick("주문 번호", "Order")} " " <span data-testid="pay-order-number">{o.order_number.clone()}</span></p>
                            <p class="total">{move || lang.get().pick("결제 금액", "Total")} " "
                                <strong data-testid="pay-total">{move || lang.get().price(o.final_price)}</strong></p>
                        }.into_any(),
                        Err(error) => view! { <ErrorMessage error /> }.into_any(),
                    }
                })}
            </Transition>
            // 2a from the builder, shown until the customer tries again.
            {move || (declined && pay.value().get().is_none()).then(|| view! {
                <p class="error" role="alert" data-testid="error" data-code="card_declined">
                    "결제에 실패했습니다. 다시 시도해 주세요."
                </p>
            })}
            <form on:submit=submit data-testid="payment-form">
                <CardFields card />
                {move || match pay.value().get() {
                    Some(Err(error)) => Some(view! { <ErrorMessage error /> }),
                    _ => None,
                }}
                <button type="submit" class="button primary" data-testid="pay-submit" disabled=move || pay.pending().get()>
                    {move || lang.get().pick("결제하기", "Pay")}
                </button>
            </form>
        </section>
    }
}
