//! The GUI order builder: every choice re-prices the order on the server as the customer
//! types; the client never computes or sends a price.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::cart::get_cart;
use crate::api::checkout::{list_stores, quote_order, Checkout, CreateOrder};

use crate::api::menu::get_menu;
use crate::domain::i18n::Lang;
use crate::domain::menu::Menu;
use crate::domain::order::{LineDraft, OrderDraft, OrderRequest, OrderSource};
use crate::domain::order_view::CheckoutRequest;
use crate::domain::order_view::{Quote, Store};
use crate::domain::voice::{order_state_from_draft, OrderState};
use crate::error::AppError;
use crate::pages::auth::use_auth;
use crate::pages::builder_fields::BuilderFields;
use crate::pages::lang::use_lang;
use crate::pages::payment::{CardFields, CardState};
use crate::pages::voice_order::{VoiceController, VoicePanel};
use crate::pages::ErrorMessage;

mod cart;
mod draft;
mod saving;
mod sections;

use cart::{Cart, CartSection, Editor};
use draft::{
    draft_memo, effective_style, line_memo, load_line, side_counts, CakeFields, DeliveryFields,
};
use sections::{DeliverySection, DinnerSection, SectionError};

#[component]
pub fn OrderBuilderPage() -> impl IntoView {
    let lang = use_lang();
    let auth = use_auth();
    let data = Resource::new(
        || (),
        |_| async move {
            let menu = get_menu().await?;
            let stores = list_stores().await?;
            let cart = get_cart().await?;
            Ok::<_, AppError>((menu, stores, cart))
        },
    );
    view! {
        <h1>{move || lang.get().pick("주문하기", "Order")}</h1>
        <Transition fallback=move || view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = matches!(auth.customer.await, Ok(Some(_)));
                match data.await {
                    Ok((menu, stores, cart)) => view! { <OrderForm menu stores cart signed_in /> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OrderForm(menu: Menu, stores: Vec<Store>, cart: OrderDraft, signed_in: bool) -> impl IntoView {
    let lang = use_lang();
    let delivery = DeliveryFields::new(stores.first().map(|s| s.code.clone()).unwrap_or_default());
    let stores = StoredValue::new(stores);
    let card = CardState::new();
    let (editor, cart) = open_cart(menu, cart);
    let draft = draft_memo(cart.lines, cart.selected, editor.line, editor.fields);
    saving::keep_saved(draft);
    let (menu, fields) = (editor.menu, editor.fields);

    // What the next utterance edits: the whole cart as it is on screen. The open line's style
    // is unsaid while nobody picked one.
    let builder_state = Memo::new(move |_| {
        let unsaid = fields.style.get().is_empty().then(|| cart.selected.get());
        order_state_from_draft(&draft.get().ok()?, unsaid)
    });
    let take_voice = Callback::new(move |state: OrderState| cart.take_voice(editor, &state));
    let voice = VoiceController::new(fields, builder_state, take_voice);
    let quote = Resource::new(
        move || draft.get(),
        move |draft| async move {
            match draft {
                Ok(draft) => quote_order(draft)
                    .await
                    .map_err(|e| e.message(lang.get_untracked())),
                Err(message) => Err(message),
            }
        },
    );
    let submit = SubmitActions::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(draft) = draft.get_untracked() {
            submit.send(draft, delivery, card, voice.active.get_untracked());
        }
    };
    let can_submit = Signal::derive(move || {
        signed_in && !submit.pending() && draft.get().is_ok_and(|d| !d.lines.is_empty())
    });

    view! {
        <VoicePanel voice menu />
        <form class="order-builder" on:submit=on_submit data-testid="order-builder"
            data-source=move || if voice.active.get() { "voice" } else { "gui" }>
            {(!signed_in).then(|| view! {
                <p class="notice" data-testid="login-required">
                    {move || lang.get().pick("주문하려면 로그인이 필요합니다. ", "Please log in to order. ")}
                    <A href="/login?next=/order">{move || lang.get().pick("로그인", "Log in")}</A> " · "
                    <A href="/signup?next=/order">{move || lang.get().pick("회원가입", "Sign up")}</A>
                </p>
            })}
            <CartSection cart editor draft quote store=delivery.store form_error=submit.error />
            <Show when=move || !cart.lines.with(Vec::is_empty)>
                <DinnerSection menu fields style=editor.style store=delivery.store cake=editor.cake form_error=submit.error />
            </Show>
            <DeliverySection stores delivery form_error=submit.error />
            <PriceBox quote lang />
            <PaymentAndSubmit card voice_active=voice.active submit can_submit />
        </form>
    }
    .into_any()
}

/// The editor over the line the page opens, and the cart it belongs to. The stored cart comes
/// back as it was; `?line=N` opens its line N, `?menu=X` the first line of X (added if the cart
/// has none). An empty cart starts with one dinner: `?menu=`'s, else the menu's first.
fn open_cart(menu: Menu, saved: OrderDraft) -> (Editor, Cart) {
    let query = use_query_map().read_untracked();
    let asked = query.get("menu").filter(|code| menu.dinner(code).is_some());
    let first = menu
        .dinners
        .first()
        .map(|d| d.code.clone())
        .unwrap_or_default();
    let mut lines = saved.lines;
    let at_line = query
        .get("line")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n < lines.len());
    let of_menu = asked
        .as_ref()
        .and_then(|code| lines.iter().position(|l| &l.menu == code));
    let (selected, fresh) = match (at_line.or(of_menu), asked) {
        (Some(i), _) => (i, None),
        (None, asked) if lines.is_empty() || asked.is_some() => {
            let dinner = asked.unwrap_or(first);
            lines.push(LineDraft::as_it_comes(&menu, &dinner));
            (lines.len() - 1, Some(dinner))
        }
        (None, _) => (0, None),
    };
    let fields = BuilderFields::new(
        fresh
            .clone()
            .unwrap_or_else(|| lines[selected].menu.clone()),
    );
    let cake = CakeFields::new(&menu);
    fields.sides.set(side_counts(&saved.side_dishes));
    if fresh.is_none() {
        load_line(fields, cake, &lines[selected]);
    }
    let menu = StoredValue::new(menu);
    let style = effective_style(menu, fields);
    let line = line_memo(menu, fields, style, cake);
    let editor = Editor {
        menu,
        fields,
        cake,
        line,
        style,
    };
    (editor, Cart::new(lines, selected))
}

/// The two ways the form is sent: a GUI order is paid at once; a voice order is created pending
/// and paid on the payment page.
#[derive(Clone, Copy)]
struct SubmitActions {
    checkout: ServerAction<Checkout>,
    create: ServerAction<CreateOrder>,
    /// The last submit's failure, from whichever action ran.
    error: RwSignal<Option<AppError>>,
}

impl SubmitActions {
    fn new() -> Self {
        let actions = SubmitActions {
            checkout: ServerAction::<Checkout>::new(),
            create: ServerAction::<CreateOrder>::new(),
            error: RwSignal::new(None),
        };
        actions.follow();
        actions
    }

    /// Goes on to the order (or the payment page) once an action answers.
    fn follow(self) {
        let navigate = use_navigate();
        let go = navigate.clone();
        Effect::new(move |_| match self.checkout.value().get() {
            Some(Ok(receipt)) => go(&format!("/orders/{}", receipt.order_id), Default::default()),
            Some(Err(AppError::PaymentDeclined { order_id, .. })) => go(
                &format!("/orders/{order_id}/pay?declined=1"),
                Default::default(),
            ),
            Some(Err(err)) => self.error.set(Some(err)),
            None => {}
        });
        Effect::new(move |_| match self.create.value().get() {
            Some(Ok(created)) => navigate(
                &format!("/orders/{}/pay?created=1", created.order_id),
                Default::default(),
            ),
            Some(Err(err)) => self.error.set(Some(err)),
            None => {}
        });
    }

    fn pending(self) -> bool {
        self.checkout.pending().get() || self.create.pending().get()
    }

    fn send(self, draft: OrderDraft, delivery: DeliveryFields, card: CardState, voice: bool) {
        self.error.set(None);
        let source = if voice {
            OrderSource::Voice
        } else {
            OrderSource::Gui
        };
        let order = OrderRequest::new(
            delivery.store.get_untracked(),
            draft,
            delivery.details(),
            source,
        );
        if voice {
            self.create.dispatch(CreateOrder { order });
        } else {
            self.checkout.dispatch(Checkout {
                request: CheckoutRequest {
                    order,
                    payment: card.input(),
                },
                idempotency_key: card.attempt_key(),
            });
        }
    }
}

/// The card (GUI orders only) and the submit button, whose words say what it will do.
#[component]
fn PaymentAndSubmit(
    card: CardState,
    voice_active: RwSignal<bool>,
    submit: SubmitActions,
    can_submit: Signal<bool>,
) -> impl IntoView {
    let lang = use_lang();
    let pending = move || submit.pending();
    view! {
        <Show when=move || !voice_active.get()>
            <fieldset>
                <legend>{move || lang.get().pick("결제", "Payment")}</legend>
                <CardFields card />
                <SectionError form_error=submit.error section="payment" />
            </fieldset>
        </Show>

        <Show when=move || voice_active.get()
            fallback=move || view! {
                <button type="submit" class="button primary" data-testid="checkout-submit"
                    disabled=move || !can_submit.get()>
                    {move || if pending() { lang.get().pick("처리 중…", "Processing…") } else { lang.get().pick("주문하기", "Place order") }}
                </button>
            }>
            <button type="submit" class="button primary" data-testid="voice-confirm"
                disabled=move || !can_submit.get()>
                {move || if pending() {
                    lang.get().pick("처리 중…", "Processing…")
                } else {
                    lang.get().pick("음성 주문 확정 (결제는 다음 화면에서)", "Confirm voice order (pay on the next page)")
                }}
            </button>
        </Show>
    }
    .into_any()
}

#[component]
fn PriceBox(quote: Resource<Result<Quote, String>>, lang: RwSignal<Lang>) -> impl IntoView {
    view! {
        <section class="price-box" data-testid="price-box">
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let l = lang.get();
                    match quote.await {
                        Ok(q) => view! {
                            <p>{l.pick("상품 금액", "Subtotal")} " "
                                <span data-testid="price-original">{l.price(q.pricing.original_price)}</span></p>
                            <ul class="discounts">
                                {q.discounts.iter().map(|d| view! {
                                    <li data-testid="price-discount">{l.pick(d.label_ko.clone(), d.label_en.clone())} " −" {l.price(d.amount)}</li>
                                }).collect_view()}
                            </ul>
                            <p class="total">{l.pick("결제 금액", "Total")} " "
                                <strong data-testid="price-final">{l.price(q.pricing.final_price)}</strong></p>
                        }.into_any(),
                        Err(message) => view! { <p class="error" data-testid="price-error">{message}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
